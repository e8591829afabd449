"""Bad input over MCP: on every tool, wrong types, NUL, huge strings and unknown ids are a tool
error naming what is wrong; unknown tools, malformed JSON-RPC and refused requests are the
right protocol or HTTP error. Never a 500, nothing half-written."""

import pytest

from activity.models import Activity
from aimodels.models import SystemSettings
from kanban.models import Task, TaskClaim
from mcp_server.tests.conftest import MCP, token_for
from mcp_server.tools import CORE_TOOLS, EXTENDED_TOOLS, BoardTools

pytestmark = pytest.mark.django_db

ALL_TOOLS = [*CORE_TOOLS, *EXTENDED_TOOLS]
HUGE = "x" * 1_000_000


def wrong_values(schema: dict) -> list:
    """Values of the wrong type (or out of range) for an argument's schema."""
    if schema.get("type") == "string":
        wrong = [42, ["a"], {"a": 1}, True, "a\x00b"]
        if "enum" in schema:
            return [*wrong, "not-a-choice"]
        return [*wrong, HUGE] if "maxLength" in schema else wrong  # free text may be long
    if schema.get("type") == "integer":
        return ["7", 1.5, -(10**12), 10**30, None]
    return ["text", [1], {"thing": 5}]


def cases():
    for name in ALL_TOOLS:
        for argument, schema in BoardTools.tools[name].parameters["properties"].items():
            for value in wrong_values(schema):
                yield pytest.param(name, argument, value, id=f"{name}-{argument}-{str(value)[:12]}")


@pytest.fixture
def extended(owner):
    return MCP(token_for(owner), path="/mcp/?tools=extended")


def base_arguments(name, task, project) -> dict:
    """The tool's required arguments, valid."""
    valid = {"task_id": str(task.pk), "project_id": str(project.pk), "status": "todo", "title": "T"}
    valid |= {
        "depends_on_id": str(task.pk),
        "lineage": str(task.pk),
        "prompt_id": str(task.pk),
        "job_id": str(task.pk),
        "commit_id": str(task.pk),
        "sha": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    }
    return {argument: valid[argument] for argument in BoardTools.tools[name].parameters.get("required", [])}


@pytest.mark.parametrize("name, argument, value", list(cases()))
def test_a_wrong_value_is_a_tool_error_naming_the_argument(extended, task, project, name, argument, value):
    before = (list(Task.objects.values()), TaskClaim.objects.count(), Activity.objects.count())

    text = extended.refused(name, {**base_arguments(name, task, project), argument: value})

    assert text.startswith(f"{argument}:") or argument in text, text
    assert len(text) < 1000
    assert (list(Task.objects.values()), TaskClaim.objects.count(), Activity.objects.count()) == before


@pytest.mark.parametrize("name", ALL_TOOLS)
def test_unknown_ids_and_unexpected_arguments_are_tool_errors(extended, name):
    SystemSettings.objects.create(key="mcp.allow_destructive", value=True)
    properties = BoardTools.tools[name].parameters["properties"]
    ids = {
        argument: "00000000-0000-0000-0000-000000000000"
        for argument in properties
        if argument.endswith("_id")
    }
    ids |= {"lineage": "nope"} if "lineage" in properties else {}
    required = BoardTools.tools[name].parameters.get("required", [])
    filler = {"status": "todo", "title": "T", "sha": "4b825dc642cb6eb9a060e54bf8d69288fbee4904"}
    arguments = {argument: ids.get(argument, filler.get(argument)) for argument in required}

    if required:
        assert "not found" in extended.refused(name, arguments) or name == "get_prompt"
    assert "unexpected" in extended.refused(name, {**arguments, "surprise": 1}).lower() or "Additional" in (
        extended.refused(name, {**arguments, "surprise": 1})
    )


def test_long_free_text_is_stored_whole_as_over_the_api(extended, task):
    extended.ok("update_task", {"task_id": str(task.pk), "description": HUGE})

    assert Task.objects.get(pk=task.pk).description == HUGE


def test_missing_arguments_are_named(extended):
    assert extended.refused("move_task", {"status": "todo"}) == "'task_id' is a required property"


def test_arguments_that_are_not_an_object(mcp):
    answer = mcp.rpc("tools/call", {"name": "list_projects", "arguments": [1, 2]})

    assert answer["error"]["code"] == -32602


def test_an_unknown_tool_is_invalid_params(mcp):
    answer = mcp.rpc("tools/call", {"name": "drop_database", "arguments": {}})

    assert answer["error"]["code"] == -32602
    assert "Unknown tool 'drop_database'" in answer["error"]["message"]


@pytest.mark.parametrize(
    "body, code",
    [
        ("{not json", -32700),
        ('{"jsonrpc": "2.0", "id": 1}', -32600),
        ('{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": "x"}', -32602),
        ('{"jsonrpc": "2.0", "id": 1, "method": "no/such/method"}', -32601),
        ("[]", -32600),
    ],
)
def test_malformed_json_rpc_answers_its_error_code(mcp, body, code):
    response = mcp.post(body)

    assert 200 <= response.status_code < 500, response.content[:300]
    assert response.json()["error"]["code"] == code


def test_a_body_over_the_limit_is_a_413(mcp, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = mcp.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"x": "y" * 2000}})

    assert response.status_code == 413


class TestRefusedRequests:
    def test_no_credential_is_a_401_pointing_at_the_metadata(self):
        response = MCP("").post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})

        assert response.status_code == 401
        assert response["WWW-Authenticate"] == (
            'Bearer resource_metadata="http://testserver/.well-known/oauth-protected-resource/mcp"'
        )

    @pytest.mark.parametrize("token", ["nope", "x" * 64, "☃" * 10])
    def test_a_bad_token_is_an_invalid_token_401(self, token):
        response = MCP(token).post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})

        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
        assert token not in response.content.decode()

    def test_an_expired_or_revoked_api_token_is_refused(self, owner):
        from knox.models import AuthToken

        token = token_for(owner)
        AuthToken.objects.update(expiry="2000-01-01T00:00:00Z")
        assert MCP(token).post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).status_code == 401
        revoked = token_for(owner)
        AuthToken.objects.all().delete()
        assert MCP(revoked).post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).status_code == 401

    def test_the_metadata_names_the_resource_and_scopes(self, client):
        metadata = client.get("/.well-known/oauth-protected-resource/mcp").json()

        assert metadata["resource"] == "http://testserver/mcp/"
        assert metadata["scopes_supported"] == ["board:read", "board:write", "prompts:read", "commits:write"]

    def test_another_origin_is_refused(self, mcp):
        evil = mcp.post(
            {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, HTTP_ORIGIN="http://evil.example"
        )
        broken = mcp.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, HTTP_ORIGIN="http://[")
        own = mcp.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, HTTP_ORIGIN="http://testserver")

        assert (evil.status_code, broken.status_code) == (403, 403)
        assert own.status_code == 200

    def test_an_allowed_origin_is_served(self, mcp, settings):
        settings.MCP_ALLOWED_ORIGINS = ["http://localhost:5173"]

        response = mcp.post(
            {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, HTTP_ORIGIN="http://localhost:5173"
        )

        assert response.status_code == 200

    def test_an_unknown_host_is_a_400(self, mcp):
        response = mcp.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, HTTP_HOST="evil.example")

        assert response.status_code == 400

    @pytest.mark.parametrize("method", ["get", "delete", "put"])
    def test_only_post_is_served(self, mcp, method):
        response = getattr(mcp.client, method)("/mcp/", HTTP_AUTHORIZATION=f"Bearer {mcp.token}")

        assert response.status_code == 405
        assert response["Allow"] == "POST"
