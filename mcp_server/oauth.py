"""OAuth 2.1 access tokens for the MCP server: issued by this project's authorization server
(django-oauth-toolkit under /o/, see mcp_server.oauth_server), stored hashed, each bound to
the audience it was asked for (RFC 8707, DOT's `AccessToken.resource`)."""

import hashlib

from oauth2_provider.models import get_access_token_model


def access_token_user(request, raw: str) -> tuple[object, frozenset]:
    """The user and scopes of the OAuth access token `raw`, if it is live and for this server.

    One query: the token with its user. A revoked token is gone (DOT deletes it)."""
    from mcp_server.auth import Unauthorized, resource_url

    checksum = hashlib.sha256(raw.encode()).hexdigest()
    token = get_access_token_model().objects.select_related("user").filter(token_checksum=checksum).first()
    if token is None or token.is_expired() or token.user is None or not token.user.is_active:
        raise Unauthorized(401, "invalid_token", "The token is invalid, expired or revoked.")
    audience = resource_url(request)
    if audience not in token.resource:
        raise Unauthorized(
            401,
            "invalid_token",
            f"The token is for another audience; ask for one with resource={audience}.",
        )
    return token.user, frozenset(token.scope.split())
