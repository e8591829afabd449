"""Persona fixtures shared by every app's tests: owner, outsider, staff, and their API clients."""

import functools

import pytest
from django.core.cache import cache
from drf_spectacular.generators import SchemaGenerator
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.paths.exceptions import PathNotFound
from rest_framework.test import APIClient

from aimodels.models import AIModel
from aimodels.tests.factories import ISSUED_API_KEYS, AIModelFactory
from aimodels.tests.fake_providers import FakeProvider
from projects.tests.factories import UserFactory


def pytest_configure():
    from django.conf import settings

    # Real password hashing costs a quarter of a second per user; tests make hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _event_stream_listener_ends_first(django_db_setup, django_db_blocker):
    """The streams' LISTEN connection (PostgreSQL) ends before the test database is dropped."""
    yield
    from core.streams import HUB

    HUB.stop()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles count in the cache; each test starts with none spent."""
    cache.clear()


@functools.cache
def api_schema() -> dict:
    """Our own OpenAPI schema, as clients see it at /api/schema/ (read it, do not change it)."""
    return SchemaGenerator().get_schema(request=None, public=True)


@functools.cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(api_schema())


def check_against_the_schema(response) -> None:
    """Fail the test when a JSON response of the API is not what the schema says it is.

    The deliberate 500 of the error-shape test is the one exception: 500 is not documented."""
    request = response.wsgi_request
    if not request.path.startswith("/api/v1/") or response.status_code == 500 or response.streaming:
        return
    if response.content and response.get("Content-Type", "").split(";")[0] != "application/json":
        return  # the browsable API's HTML pages are for people
    try:
        openapi().validate_response(DjangoOpenAPIRequest(request), DjangoOpenAPIResponse(response))
    except PathNotFound:  # no operation has this path: the API's JSON 404
        assert (response.status_code, list(response.json())) == (404, ["detail"]), request.path
    except OpenAPIError as exc:
        detail = "; ".join(str(error) for error in getattr(exc, "schema_errors", ())) or exc.__cause__ or ""
        account = f"{request.method} {request.path} answered {response.status_code} unlike the schema"
        pytest.fail(f"{account}: {exc} {detail}"[:3000])


class KeyCheckingAPIClient(APIClient):
    """An API client that fails the test when a response shows a stored API key, or is not
    what the OpenAPI schema documents."""

    def request(self, **kwargs):
        response = super().request(**kwargs)
        if response.streaming:  # an event stream: read it whole (a test's jobs have finished)
            data = b"".join(response.streaming_content)
            response.streaming_content = [data]
            body = data.decode(errors="replace")
        else:
            body = response.content.decode(errors="replace")
        leaked = [key for key in ISSUED_API_KEYS if key in body]
        assert not leaked, f"a response contains a stored API key: {kwargs.get('PATH_INFO')}"
        check_against_the_schema(response)
        return response


def client_for(user=None) -> KeyCheckingAPIClient:
    client = KeyCheckingAPIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", is_staff=True, is_superuser=True)


@pytest.fixture
def anonymous_client():
    return client_for()


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)


@pytest.fixture
def staff_client(staff):
    return client_for(staff)


@pytest.fixture(scope="session")
def _fake_servers():
    servers = {protocol: FakeProvider(protocol) for protocol in ("openai", "anthropic")}
    ISSUED_API_KEYS.update(server.api_key for server in servers.values())
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture
def openai_server(_fake_servers):
    """A local server speaking OpenAI Chat Completions; script it with `.reply(...)`."""
    _fake_servers["openai"].reset()
    return _fake_servers["openai"]


@pytest.fixture
def anthropic_server(_fake_servers):
    """A local server speaking Anthropic Messages; script it with `.reply(...)`."""
    _fake_servers["anthropic"].reset()
    return _fake_servers["anthropic"]


@pytest.fixture(params=["openai", "anthropic"])
def provider_server(request, _fake_servers):
    """Each protocol in turn."""
    _fake_servers[request.param].reset()
    return _fake_servers[request.param]


def finished_job(response) -> dict:
    """The job an AI action answered, which has finished (inline jobs always have)."""
    assert response.status_code == 200, response.content
    job = response.json()
    assert response["Location"] == f"/api/v1/jobs/{job['id']}/"
    assert job["status"] in ("succeeded", "failed", "cancelled"), job
    return job


def job_result(response, name: str):
    """What a succeeded AI action made: `result[name]` of its job."""
    job = finished_job(response)
    assert job["status"] == "succeeded", job["error"]
    assert list(job["result"]) == [name]
    return job["result"][name]


def job_error(response) -> dict:
    """`{code, detail, http_status}` of a failed AI action's job."""
    job = finished_job(response)
    assert (job["status"], job["result"]) == ("failed", None), job
    return job["error"]


def ai_model_on(server: FakeProvider, **fields) -> AIModel:
    """An active AIModel pointed at a fake provider server."""
    provider = AIModel.Provider.OPENAI if server.protocol == "openai" else AIModel.Provider.ANTHROPIC
    fields.setdefault("config", {"timeout": 2, "max_retries": 0})
    fields.setdefault("api_key", server.api_key)
    return AIModelFactory(provider=provider, base_url=server.base_url, **fields)
