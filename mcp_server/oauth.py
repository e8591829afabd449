"""OAuth 2.1 access tokens for the MCP server."""


def access_token_user(request, raw: str):
    from mcp_server.auth import Unauthorized

    raise Unauthorized(401, "invalid_token", "The token is invalid or has expired.")
