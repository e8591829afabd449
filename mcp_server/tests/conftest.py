"""JSON-RPC over the real `/mcp/` view (Django's test client), as a token's holder would send it."""

import json

import pytest
from django.test import Client
from knox.models import AuthToken

from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory

JSON_AND_SSE = "application/json, text/event-stream"


class MCP:
    """One credential's JSON-RPC session with the server (stateless: each call stands alone)."""

    def __init__(self, token: str, *, path: str = "/mcp/"):
        self.client, self.token, self.path = Client(), token, path

    def post(self, body, **headers):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        if self.token:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        return self.client.post(
            self.path, data=data, content_type="application/json", HTTP_ACCEPT=JSON_AND_SSE, **headers
        )

    def rpc(self, method: str, params=None, **headers) -> dict:
        """The JSON-RPC answer (a `result` or an `error`) of one request."""
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": method,
            **({"params": params} if params is not None else {}),
        }
        response = self.post(body, **headers)
        assert response.status_code == 200, response.content[:500]
        return response.json()

    def call(self, name: str, arguments=None, **headers) -> dict:
        """A tool's result: `structuredContent` and `isError` as sent."""
        answer = self.rpc("tools/call", {"name": name, "arguments": arguments or {}}, **headers)
        assert "result" in answer, answer
        return answer["result"]

    def ok(self, name: str, arguments=None, **headers) -> dict:
        result = self.call(name, arguments, **headers)
        assert not result.get("isError"), result["content"][0]["text"]
        return result["structuredContent"]

    def refused(self, name: str, arguments=None, **headers) -> str:
        result = self.call(name, arguments, **headers)
        assert result.get("isError") is True, result
        assert "structuredContent" not in result or result["structuredContent"] is None
        return result["content"][0]["text"]


def token_for(user) -> str:
    return AuthToken.objects.create(user)[1]


@pytest.fixture
def mcp(owner):
    return MCP(token_for(owner))


@pytest.fixture
def outsider_mcp(outsider):
    return MCP(token_for(outsider))


@pytest.fixture
def project(owner):
    return ProjectFactory(owner=owner, name="Shop")


@pytest.fixture
def task(project):
    return TaskFactory(project=project, title="Cart", priority="high")
