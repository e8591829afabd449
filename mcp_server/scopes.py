"""The MCP server's scopes, what an API token or an OAuth grant may carry: declared apart from
the server, so that the authorization server's pages load without the MCP SDK."""

SCOPES = {
    "board:read": "Read projects, boards and tasks.",
    "board:write": "Claim, change and move tasks.",
    "prompts:read": "Read and render prompts.",
    "commits:write": "Record commits.",
}

READ_SCOPE, WRITE_SCOPE, PROMPTS_SCOPE, COMMITS_SCOPE = SCOPES
