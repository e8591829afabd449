"""OAuth 2.1 for MCP clients, as a client speaks it: discover, register, authorization code with
PKCE through the Django login and consent page, a token for /mcp/, tool calls; and every
refusal (audience, scope, PKCE, expiry, revocation, registration input)."""

import base64
import hashlib
import secrets
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx2
import pytest
from django.test import Client
from django.utils import timezone
from mcp import Client as MCPClient
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken, set_token_value

from kanban.tests.factories import TaskFactory
from mcp_server.tests.conftest import MCP
from projects import services as prompt_services
from projects.tests.factories import ProjectFactory, PromptFactory

pytestmark = pytest.mark.django_db

BASE = "http://testserver"
RESOURCE = f"{BASE}/mcp/"
REDIRECT = "http://127.0.0.1:33418/callback"
PASSWORD = "correct horse battery staple"  # UserFactory's
ALL_SCOPES = "board:read board:write prompts:read commits:write"


def register(*, address="127.0.0.1", **metadata):
    body = {"client_name": "Claude Code", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}
    return Client().post(
        "/o/register/", {**body, **metadata}, content_type="application/json", REMOTE_ADDR=address
    )


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(client_id: str, challenge: str, **params) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "xyz",
        "scope": ALL_SCOPES,
        "resource": RESOURCE,
        **params,
    }
    return "/o/authorize/?" + urlencode({key: value for key, value in query.items() if value is not None})


def query_of(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def sign_in(browser: Client, url: str, user):
    """Open `url` signed out: the login page, then back to `url` once signed in."""
    to_login = browser.get(url)
    assert to_login.status_code == 302
    login = to_login["Location"]
    assert login.startswith("/api/auth/login/?next=")
    assert browser.get(login).context["next"] == url
    signed_in = browser.post(login, {"username": user.username, "password": PASSWORD, "next": url})
    assert (signed_in.status_code, signed_in["Location"]) == (302, url)
    return browser.get(url)


def consent(browser: Client, page, *, allow=True):
    """Submit the consent form as shown."""
    form = {bound.name: bound.value() or "" for bound in page.context["form"] if bound.is_hidden}
    if allow:
        form["allow"] = "Authorize"
    return browser.post(page.wsgi_request.get_full_path(), form)


def code_for(user, client_id: str, challenge: str, **params) -> str:
    browser = Client()
    page = sign_in(browser, authorize_url(client_id, challenge, **params), user)
    assert page.status_code == 200, page.content[:500]
    answer = consent(browser, page)
    assert answer.status_code == 302
    assert answer["Location"].startswith(REDIRECT + "?")
    return query_of(answer["Location"])["code"]


def exchange(client_id: str, code: str, verifier: str | None, **extra):
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client_id,
        "code_verifier": verifier,
        "resource": RESOURCE,
        **extra,
    }
    return Client().post("/o/token/", {key: value for key, value in body.items() if value is not None})


@pytest.fixture
def client_id() -> str:
    return register().json()["client_id"]


def token_for(user, client_id: str, **params) -> dict:
    verifier, challenge = pkce()
    answer = exchange(client_id, code_for(user, client_id, challenge, **params), verifier)
    assert answer.status_code == 200, answer.content
    return answer.json()


def issued(user, *, scope: str = ALL_SCOPES, resource=(RESOURCE,), expires_in=3600) -> str:
    """An access token made directly, as DOT stores one (hashed)."""
    raw = secrets.token_urlsafe(30)
    application = Application.objects.create(
        name="direct",
        client_type="public",
        authorization_grant_type="authorization-code",
        redirect_uris=REDIRECT,
    )
    token = AccessToken(
        user=user,
        application=application,
        scope=scope,
        expires=timezone.now() + timedelta(seconds=expires_in),
        resource=list(resource),
    )
    set_token_value(token, raw)
    token.save()
    return raw


def list_projects_call(token: str):
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "list_projects", "arguments": {}},
    }
    return MCP(token).post(body)


def assert_invalid_token(response, description: str):
    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"'), challenge
    assert description in challenge
    assert f'resource_metadata="{BASE}/.well-known/oauth-protected-resource/mcp"' in challenge


class TestDiscovery:
    def test_the_resource_names_its_authorization_server_whose_metadata_lists_the_endpoints(self):
        resource = Client().get("/.well-known/oauth-protected-resource/mcp").json()
        (issuer,) = resource["authorization_servers"]

        metadata = Client().get("/.well-known/oauth-authorization-server")

        assert metadata["Access-Control-Allow-Origin"] == "*"
        assert metadata.json() == {
            "issuer": issuer,
            "authorization_endpoint": f"{BASE}/o/authorize/",
            "token_endpoint": f"{BASE}/o/token/",
            "registration_endpoint": f"{BASE}/o/register/",
            "revocation_endpoint": f"{BASE}/o/revoke/",
            "scopes_supported": ALL_SCOPES.split(),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
            "revocation_endpoint_auth_methods_supported": [
                "none",
                "client_secret_post",
                "client_secret_basic",
            ],
            "authorization_response_iss_parameter_supported": True,
        }
        assert issuer == BASE
        assert resource["resource"] == RESOURCE


class TestRegistration:
    def test_a_public_client_gets_an_id_and_no_secret(self):
        response = register()

        assert response.status_code == 201
        assert response["Cache-Control"] == "no-store"
        body = response.json()
        application = Application.objects.get()
        assert body == {
            "client_id": application.client_id,
            "client_id_issued_at": int(application.created.timestamp()),
            "client_name": "Claude Code",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "scope": ALL_SCOPES,
        }
        assert (application.user, application.client_type, application.registration_source) == (
            None,
            "public",
            "dcr",
        )

    def test_a_confidential_client_sees_its_secret_once_and_it_is_stored_hashed(self):
        body = register(token_endpoint_auth_method="client_secret_post", scope="board:read").json()

        secret = body["client_secret"]
        application = Application.objects.get(client_id=body["client_id"])
        assert body["client_secret_expires_at"] == 0
        assert application.client_type == "confidential"
        assert secret not in application.client_secret
        assert application.client_secret.startswith(("pbkdf2_", "md5$", "argon2", "bcrypt"))

    @pytest.mark.parametrize(
        ("metadata", "error", "field"),
        [
            ({"redirect_uris": None}, "invalid_redirect_uri", "redirect_uris:"),
            ({"redirect_uris": []}, "invalid_redirect_uri", "redirect_uris:"),
            ({"redirect_uris": "https://app.example/cb"}, "invalid_redirect_uri", "redirect_uris:"),
            (
                {"redirect_uris": [REDIRECT, "http://app.example/cb"]},
                "invalid_redirect_uri",
                "redirect_uris[1]:",
            ),
            ({"redirect_uris": ["https://app.example/cb#frag"]}, "invalid_redirect_uri", "redirect_uris[0]:"),
            ({"redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri", "redirect_uris[0]:"),
            (
                {"redirect_uris": ["https://a.example/x https://b.example/y"]},
                "invalid_redirect_uri",
                "redirect_uris[0]:",
            ),
            ({"redirect_uris": [7]}, "invalid_redirect_uri", "redirect_uris[0]:"),
            ({"redirect_uris": ["https://[::1/cb"]}, "invalid_redirect_uri", "redirect_uris[0]:"),
            ({"grant_types": ["authorization_code", {}]}, "invalid_client_metadata", "grant_types:"),
            (
                {"token_endpoint_auth_method": "private_key_jwt"},
                "invalid_client_metadata",
                "token_endpoint_auth_method:",
            ),
            ({"grant_types": ["client_credentials"]}, "invalid_client_metadata", "grant_types:"),
            ({"grant_types": ["authorization_code", "implicit"]}, "invalid_client_metadata", "grant_types:"),
            ({"response_types": ["token"]}, "invalid_client_metadata", "response_types:"),
            ({"scope": "board:read admin"}, "invalid_client_metadata", "scope:"),
            ({"client_name": "x" * 256}, "invalid_client_metadata", "client_name:"),
            ({"client_name": "a\x00b"}, "invalid_client_metadata", "client_name:"),
        ],
    )
    def test_bad_metadata_is_a_400_naming_the_field_and_registers_nothing(self, metadata, error, field):
        response = register(**metadata)

        assert response.status_code == 400
        assert response.json()["error"] == error
        assert response.json()["error_description"].startswith(field)
        assert not Application.objects.exists()

    @pytest.mark.parametrize("body", ["not json", "[1, 2]", "{"])
    def test_a_body_that_is_not_a_json_object_is_a_400(self, body):
        response = Client().post("/o/register/", body, content_type="application/json")

        assert (response.status_code, response.json()["error"]) == (400, "invalid_client_metadata")

    def test_registrations_from_one_address_are_throttled(self, settings):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "oauth_registration": "2/hour",
            },
        }
        answers = [register(address="10.0.0.1") for _ in range(3)]

        assert [answer.status_code for answer in answers] == [201, 201, 429]
        assert int(answers[-1]["Retry-After"]) > 0
        assert register(address="10.0.0.2").status_code == 201


class TestAuthorizationCodeWithPKCE:
    def test_a_registered_client_signs_in_gets_consent_and_calls_a_tool(self, owner, outsider, client_id):
        ProjectFactory(owner=owner, name="Shop")
        ProjectFactory(owner=outsider, name="Secret")
        verifier, challenge = pkce()
        browser = Client()

        page = sign_in(browser, authorize_url(client_id, challenge), owner)
        assert page.status_code == 200
        assert "Authorize Claude Code?" in page.text
        assert RESOURCE in page.text and REDIRECT in page.text
        assert "Claim, change and move tasks." in page.text
        answer = consent(browser, page)
        assert answer.status_code == 302
        given = query_of(answer["Location"])
        assert (given["state"], given["iss"]) == ("xyz", BASE)
        token = exchange(client_id, given["code"], verifier)

        assert token.status_code == 200, token.content
        body = token.json()
        assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, ALL_SCOPES)
        assert body["refresh_token"]
        stored = AccessToken.objects.get()
        assert (stored.user, stored.resource, stored.token) == (owner, [RESOURCE], "")  # hashed at rest
        projects = MCP(body["access_token"]).ok("list_projects")["projects"]
        assert [project["name"] for project in projects] == ["Shop"]

    def test_declining_sends_access_denied_and_no_code(self, owner, client_id):
        browser = Client()
        page = sign_in(browser, authorize_url(client_id, pkce()[1]), owner)

        answer = consent(browser, page, allow=False)

        assert query_of(answer["Location"])["error"] == "access_denied"
        assert not Grant.objects.exists()

    @pytest.mark.parametrize(
        "resource",
        [RESOURCE.rstrip("/"), "HTTP://TestServer/mcp/", f"{RESOURCE}?holder=claude-code@laptop"],
        ids=["no trailing slash", "upper case", "with the holder query"],
    )
    def test_the_resource_may_be_named_as_clients_write_it(self, owner, client_id, resource):
        verifier, challenge = pkce()
        code = code_for(owner, client_id, challenge, resource=resource)

        answer = exchange(client_id, code, verifier, resource=resource)

        assert AccessToken.objects.get().resource == [RESOURCE]
        assert list_projects_call(answer.json()["access_token"]).status_code == 200

    def test_the_token_request_may_leave_the_resource_out(self, owner, client_id):
        verifier, challenge = pkce()
        code = code_for(owner, client_id, challenge)

        assert exchange(client_id, code, verifier, resource=None).status_code == 200
        assert AccessToken.objects.get().resource == [RESOURCE]

    @pytest.mark.parametrize(
        "resource",
        [None, "https://other.example/mcp/", f"{BASE}/api/v1/", f"{BASE}/mcp/#x", "not a url"],
        ids=["missing", "other host", "other path", "with a fragment", "not a url"],
    )
    def test_an_authorization_for_another_resource_is_refused_before_consent(
        self, owner, client_id, resource
    ):
        browser = Client()
        answer = sign_in(browser, authorize_url(client_id, pkce()[1], resource=resource), owner)

        assert answer.status_code == 302
        assert answer["Location"].startswith(REDIRECT + "?")
        assert query_of(answer["Location"])["error"] == "invalid_target"
        assert query_of(answer["Location"])["state"] == "xyz"

    def test_a_consent_form_changed_to_another_resource_is_refused(self, owner, client_id):
        browser = Client()
        page = sign_in(browser, authorize_url(client_id, pkce()[1]), owner)
        form = {bound.name: bound.value() or "" for bound in page.context["form"] if bound.is_hidden}

        answer = browser.post(
            page.wsgi_request.get_full_path(),
            {**form, "resource": "https://other.example/mcp/", "allow": "Authorize"},
        )

        assert query_of(answer["Location"])["error"] == "invalid_target"
        assert not Grant.objects.exists()

    @pytest.mark.parametrize("grant_type", ["password", "client_credentials", "implicit"])
    def test_only_the_authorization_code_and_refresh_grants_are_served(self, owner, client_id, grant_type):
        body = {"grant_type": grant_type, "client_id": client_id, "username": "owner", "password": PASSWORD}

        answer = Client().post("/o/token/", body)

        assert (answer.status_code, answer.json()["error"]) == (400, "unsupported_grant_type")

    @pytest.mark.parametrize(
        "resource", ["https://other.example/mcp/", "https://[::1/mcp/"], ids=["another resource", "not a url"]
    )
    def test_a_token_request_for_another_resource_or_no_url_is_refused(self, owner, client_id, resource):
        verifier, challenge = pkce()
        code = code_for(owner, client_id, challenge)

        answer = exchange(client_id, code, verifier, resource=resource)

        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_target")
        assert not AccessToken.objects.exists()

    @pytest.mark.parametrize(
        ("params", "description"),
        [
            ({"code_challenge_method": "plain"}, "S256"),
            ({"code_challenge_method": None}, "S256"),
            ({"code_challenge": None, "code_challenge_method": None}, "challenge"),
        ],
        ids=["plain", "method left out (plain)", "no PKCE"],
    )
    def test_pkce_s256_is_required(self, owner, client_id, params, description):
        browser = Client()
        answer = sign_in(browser, authorize_url(client_id, pkce()[1], **params), owner)

        assert answer.status_code == 302
        given = query_of(answer["Location"])
        assert given["error"] == "invalid_request"
        assert description in given["error_description"]
        assert not Grant.objects.exists()

    @pytest.mark.parametrize("verifier", ["wrong-" + "v" * 50, None], ids=["wrong", "missing"])
    def test_the_code_needs_its_verifier(self, owner, client_id, verifier):
        code = code_for(owner, client_id, pkce()[1])

        answer = exchange(client_id, code, verifier)

        assert answer.status_code == 400
        assert answer.json()["error"] in ("invalid_grant", "invalid_request")
        assert not AccessToken.objects.exists()

    def test_a_code_is_used_once(self, owner, client_id):
        verifier, challenge = pkce()
        code = code_for(owner, client_id, challenge)
        assert exchange(client_id, code, verifier).status_code == 200

        assert exchange(client_id, code, verifier).json()["error"] == "invalid_grant"

    def test_a_confidential_client_authenticates_at_the_token_endpoint(self, owner):
        registered = register(token_endpoint_auth_method="client_secret_post").json()
        verifier, challenge = pkce()
        code = code_for(owner, registered["client_id"], challenge)

        wrong = exchange(registered["client_id"], code, verifier, client_secret="nope")
        right = exchange(registered["client_id"], code, verifier, client_secret=registered["client_secret"])

        assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
        assert right.status_code == 200


class TestRefreshTokens:
    def refresh(self, client_id, refresh_token, **extra):
        body = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            **extra,
        }
        return Client().post("/o/token/", body)

    def test_a_refresh_rotates_and_keeps_the_audience(self, owner, client_id):
        first = token_for(owner, client_id)

        second = self.refresh(client_id, first["refresh_token"], resource=RESOURCE)

        assert second.status_code == 200, second.content
        assert second.json()["refresh_token"] != first["refresh_token"]
        assert list_projects_call(second.json()["access_token"]).status_code == 200
        assert AccessToken.objects.get().resource == [RESOURCE]

    def test_a_replayed_refresh_token_revokes_its_family(self, owner, client_id):
        first = token_for(owner, client_id)
        second = self.refresh(client_id, first["refresh_token"]).json()

        replay = self.refresh(client_id, first["refresh_token"])

        assert replay.status_code == 400
        assert_invalid_token(list_projects_call(second["access_token"]), "invalid, expired or revoked")
        assert not RefreshToken.objects.filter(revoked__isnull=True).exists()

    def test_a_refresh_for_another_resource_is_refused(self, owner, client_id):
        first = token_for(owner, client_id)

        answer = self.refresh(client_id, first["refresh_token"], resource="https://other.example/mcp/")

        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_target")


class TestTokensAtTheMCPServer:
    def test_a_token_without_an_audience_is_refused(self, owner):
        response = list_projects_call(issued(owner, resource=()))

        assert_invalid_token(response, "for another audience")
        assert f"resource={RESOURCE}" in response["WWW-Authenticate"]

    def test_a_token_for_another_resource_is_refused(self, owner):
        assert_invalid_token(
            list_projects_call(issued(owner, resource=["https://other.example/mcp/"])), "for another audience"
        )

    def test_an_expired_token_is_refused(self, owner):
        assert_invalid_token(list_projects_call(issued(owner, expires_in=-1)), "invalid, expired or revoked")

    def test_an_unknown_token_is_refused(self):
        assert_invalid_token(list_projects_call("no-such-token"), "invalid, expired or revoked")

    def test_a_token_of_an_inactive_user_is_refused(self, owner):
        token = issued(owner)
        owner.is_active = False
        owner.save()

        assert_invalid_token(list_projects_call(token), "invalid, expired or revoked")

    def test_a_revoked_token_is_refused(self, owner, client_id):
        body = token_for(owner, client_id)
        assert list_projects_call(body["access_token"]).status_code == 200

        revoked = Client().post("/o/revoke/", {"token": body["access_token"], "client_id": client_id})

        assert revoked.status_code == 200
        assert_invalid_token(list_projects_call(body["access_token"]), "invalid, expired or revoked")
        assert not RefreshToken.objects.filter(revoked__isnull=True).exists()

    def test_a_read_only_token_may_read_but_not_move_a_task(self, owner):
        task = TaskFactory(project=ProjectFactory(owner=owner))
        mcp = MCP(issued(owner, scope="board:read"))

        assert mcp.ok("get_task", {"task_id": str(task.pk)})["task"]["id"] == str(task.pk)
        response = mcp.post(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "move_task", "arguments": {"task_id": str(task.pk), "status": "done"}},
            }
        )

        assert response.status_code == 403
        challenge = response["WWW-Authenticate"]
        assert challenge.startswith('Bearer error="insufficient_scope"')
        assert 'scope="board:write"' in challenge
        assert "resource_metadata=" in challenge
        task.refresh_from_db()
        assert task.status != "done"

    @pytest.mark.parametrize(
        ("scope", "method", "params", "needed"),
        [
            ("commits:write", "resources/read", {"uri": "orchestrator://tasks/{task}"}, "board:read"),
            (
                "commits:write",
                "resources/read",
                {"uri": "orchestrator://projects/{project}/board"},
                "board:read",
            ),
            (
                "board:read",
                "resources/read",
                {"uri": "orchestrator://prompts/{lineage}@production"},
                "prompts:read",
            ),
            ("board:read", "prompts/list", {}, "prompts:read"),
            ("board:read", "prompts/get", {"name": "spec-{short}"}, "prompts:read"),
            ("board:read", "tools/call", {"name": "record_commit", "arguments": {}}, "commits:write"),
        ],
        ids=["task", "board", "prompt", "prompts", "a prompt", "record_commit"],
    )
    def test_resources_prompts_and_every_tool_need_their_scope(self, owner, scope, method, params, needed):
        project = ProjectFactory(owner=owner)
        task = TaskFactory(project=project, title="Secret task")
        prompt = PromptFactory(project=project, type="spec", content="Secret prompt")
        prompt_services.prompt_label_move(prompt=prompt, name="production")
        ids = {
            "task": task.pk,
            "project": project.pk,
            "lineage": prompt.lineage,
            "short": prompt.lineage.hex[:8],
        }
        params = {
            key: value.format(**ids) if isinstance(value, str) else value for key, value in params.items()
        }
        mcp = MCP(issued(owner, scope=scope), path="/mcp/?tools=extended")

        response = mcp.post({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})

        assert response.status_code == 403
        assert f'scope="{needed}"' in response["WWW-Authenticate"]
        assert b"Secret" not in response.content

    def test_the_resource_list_leaves_out_what_the_token_may_not_read(self, owner):
        project = ProjectFactory(owner=owner)
        TaskFactory(project=project)
        prompt = PromptFactory(project=project, type="spec")
        prompt_services.prompt_label_move(prompt=prompt, name="production")

        def listed(scope):
            answer = MCP(issued(owner, scope=scope)).rpc("resources/list")
            return sorted({resource["uri"].split("/")[2] for resource in answer["result"]["resources"]})

        assert listed("board:read") == ["guide", "projects", "tasks"]
        assert listed("prompts:read") == ["guide", "prompts"]
        assert listed("board:read prompts:read") == ["guide", "projects", "prompts", "tasks"]

    def test_the_consented_scope_is_the_tokens(self, owner, client_id):
        body = token_for(owner, client_id, scope="board:read")

        assert body["scope"] == "board:read"
        assert (
            MCP(body["access_token"])
            .post(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "tools/call",
                    "params": {"name": "move_task", "arguments": {}},
                }
            )
            .status_code
            == 403
        )

    def test_another_users_project_is_not_found_through_an_oauth_token(self, owner, outsider):
        theirs = ProjectFactory(owner=outsider)

        refusal = MCP(issued(owner)).refused("list_tasks", {"project_id": str(theirs.pk)})

        assert refusal == f"Project '{theirs.pk}' not found."

    def test_the_token_is_read_in_one_query(self, owner, django_assert_num_queries):
        from mcp_server.oauth import access_token_user

        raw = issued(owner, scope="board:read")
        request = Client().get("/").wsgi_request

        # the token with its user
        with django_assert_num_queries(1):
            user, scopes = access_token_user(request, raw)

        assert (user, scopes) == (owner, frozenset({"board:read"}))


class HiddenInputs(HTMLParser):
    """A page's hidden form fields, as a browser would post them."""

    def __init__(self, html: str):
        super().__init__()
        self.fields = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value") or ""


class Memory:
    """The SDK's token storage, in memory."""

    def __init__(self):
        self.tokens = self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


def test_the_sdk_client_connects_through_oauth(live_server, owner):
    """The official MCP SDK's OAuth client against a live server: the 401's challenge, both
    metadata documents, registration, consent through the login, the token, tool calls."""
    task = TaskFactory(project=ProjectFactory(owner=owner, name="Shop"), status="todo")
    answers = []

    async def person_consents(url: str):
        async with httpx2.AsyncClient(base_url=live_server.url, timeout=30) as browser:
            login = (await browser.get(url)).headers["location"]
            form = HiddenInputs((await browser.get(login)).text).fields
            signed_in = await browser.post(login, data={**form, "username": "owner", "password": PASSWORD})
            consent = signed_in.headers["location"]
            form = HiddenInputs((await browser.get(consent)).text).fields
            answer = await browser.post(consent, data={**form, "allow": "Authorize"})
            answers.append(query_of(answer.headers["location"]))

    async def callback():
        given = answers[-1]
        return AuthorizationCodeResult(code=given["code"], state=given["state"], iss=given.get("iss"))

    provider = OAuthClientProvider(
        server_url=f"{live_server.url}/mcp/",
        client_metadata=OAuthClientMetadata(
            client_name="SDK", redirect_uris=[REDIRECT], token_endpoint_auth_method="none"
        ),
        storage=Memory(),
        redirect_handler=person_consents,
        callback_handler=callback,
    )

    async def run():
        async with (
            httpx2.AsyncClient(auth=provider, timeout=30) as http,
            MCPClient(streamable_http_client(f"{live_server.url}/mcp/", http_client=http)) as mcp,
        ):
            projects = (await mcp.call_tool("list_projects", {})).structured_content["projects"]
            moved = await mcp.call_tool("move_task", {"task_id": str(task.pk), "status": "in_progress"})
            return projects, moved.structured_content["task"]["status"]

    projects, status = anyio.run(run)

    assert [project["name"] for project in projects] == ["Shop"]
    assert status == "in_progress"
    assert answers[0]["iss"] == live_server.url
    assert Application.objects.get().registration_source == "dcr"
    token = AccessToken.objects.get()
    assert (token.user, token.scope, token.resource) == (owner, ALL_SCOPES, [f"{live_server.url}/mcp/"])
