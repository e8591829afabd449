"""Who an MCP request is from: `Authorization: Bearer <token>`, an API token (the same user,
isolation, expiry and revocation as the REST API) or an OAuth access token issued for this
server (its audience `/mcp/`, its scopes)."""

from dataclasses import dataclass

from rest_framework.exceptions import AuthenticationFailed

from core.tokens import TokenAuthentication
from mcp_server.oauth import access_token_user


@dataclass
class Unauthorized(Exception):
    """The request is refused before the server reads it: 401 (no or a bad credential) or 403
    (a credential without the scope), with the WWW-Authenticate challenge's parts."""

    status: int = 401
    error: str = ""
    description: str = "Send Authorization: Bearer <an API token or an OAuth access token>."
    scope: str = ""


def resource_url(request) -> str:
    """This server's canonical URI, the audience its OAuth tokens are bound to (RFC 8707)."""
    return request.build_absolute_uri("/mcp/")


def authenticate(request) -> tuple[object, frozenset | None]:
    """The user and the token's scopes (None for an API token: all of them)."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized()
    raw = raw.strip()
    try:
        user, _ = TokenAuthentication().authenticate_credentials(raw.encode())
    except AuthenticationFailed:
        pass
    else:
        return user, None
    return access_token_user(request, raw)
