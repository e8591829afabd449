"""The OAuth 2.1 authorization server's rules, plugged into django-oauth-toolkit through its
settings (OAUTH2_PROVIDER in orchestrator/settings.py):

- `Server`: the authorization code grant and refresh tokens only (oauthlib's
  WebApplicationServer), PKCE with S256 only, and every authorization bound to this server's
  MCP endpoint (RFC 8707 `resource`, required; its URL with or without the trailing slash).
  The audience is stored on DOT's own `Grant.resource`, then `AccessToken.resource` and
  `RefreshToken.resource`, always as the canonical URL `resource_url(request)`, which is what
  `/mcp/` compares a token's audience with.
- `OAuthLibCore`: hands that canonical URL, computed from the Django request, to the checks.
- `Scopes`: the MCP server's scopes (`mcp_server.scopes.SCOPES`), all of them by default.
"""

from urllib.parse import urlsplit

from oauth2_provider import oauth2_backends, scopes
from oauthlib.common import urldecode
from oauthlib.oauth2 import WebApplicationServer
from oauthlib.oauth2.rfc6749 import errors

from mcp_server.auth import resource_url
from mcp_server.scopes import SCOPES

# Where `OAuthLibCore` puts the canonical resource among the headers oauthlib sees. Request
# headers reach them as HTTP_* keys, so a client cannot send this one.
RESOURCE_HEADER = "X_ORCHESTRATOR_MCP_RESOURCE"


def issuer(request) -> str:
    """The authorization server's issuer identifier (RFC 8414): this server's origin."""
    return request.build_absolute_uri("/").rstrip("/")


def names_resource(value: str, canonical: str) -> bool:
    """Whether `value` names the MCP endpoint `canonical`, with or without its trailing slash
    (scheme and host compared case-insensitively; no fragment or userinfo). A query, such as
    the `?holder=` of a configured server URL, does not change the audience."""
    if not isinstance(value, str):
        return False
    try:
        given, wanted = urlsplit(value), urlsplit(canonical)
    except ValueError:  # "https://[::1/mcp/": not a URL
        return False
    if given.fragment or "#" in value or "@" in given.netloc:
        return False
    return (given.scheme.lower(), given.netloc.lower(), given.path.removesuffix("/")) == (
        wanted.scheme,
        wanted.netloc.lower(),
        wanted.path.removesuffix("/"),
    )


def _sent_resources(request) -> list[str]:
    """Every `resource` the client sent (RFC 8707 lets it repeat; oauthlib keeps the last)."""
    if isinstance(request.resource, list):  # the consent form's, set by DOT as a list
        return request.resource
    sent = [*urldecode(request.uri_query), *(request.decoded_body or [])]
    return [value for key, value in sent if key == "resource"]


def _bound(request, sent: list[str]) -> list[str]:
    canonical = request.headers[RESOURCE_HEADER]
    if not sent:
        raise errors.CustomOAuth2Error(
            "invalid_target",
            f"Send resource={canonical} (RFC 8707): tokens here are for it.",
            request=request,
        )
    for value in sent:
        if not names_resource(value, canonical):
            raise errors.CustomOAuth2Error(
                "invalid_target",
                f"Unknown resource {value!r}: this server issues tokens for {canonical} only.",
                request=request,
            )
    return [canonical]


def check_authorization_request(request) -> dict:
    """PKCE with S256 and this server's resource, before the user is asked (and again when
    the consent form is posted)."""
    if request.code_challenge is not None and request.code_challenge_method != "S256":
        raise errors.InvalidRequestError(
            description="code_challenge_method must be S256 (plain is not accepted).", request=request
        )
    request.resource = _bound(request, _sent_resources(request))
    return {}


def check_token_request(request) -> None:
    """A token request may repeat the resource (it must be this server's) or leave it out: the
    token gets the grant's (or the refresh token's) audience either way."""
    sent = [value for key, value in (request.decoded_body or []) if key == "resource"]
    if sent:
        request.resource = _bound(request, sent)


class Server(WebApplicationServer):
    """oauthlib's server for the authorization code grant and refresh tokens, with the checks
    above (no implicit, password, client credentials or device grants)."""

    def __init__(self, request_validator, **kwargs):
        super().__init__(request_validator, **kwargs)
        self.auth_grant.custom_validators.pre_auth.append(check_authorization_request)
        self.auth_grant.custom_validators.pre_token.append(check_token_request)
        self.refresh_grant.custom_validators.pre_token.append(check_token_request)


class OAuthLibCore(oauth2_backends.OAuthLibCore):
    def extract_headers(self, request):
        headers = super().extract_headers(request)
        headers[RESOURCE_HEADER] = resource_url(request)
        return headers


class Scopes(scopes.BaseScopes):
    """The MCP server's scopes, declared once in `mcp_server.scopes.SCOPES`."""

    def get_all_scopes(self):
        return SCOPES

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return list(SCOPES)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return list(SCOPES)
