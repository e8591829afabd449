"""The MCP server for coding agents: the board's tools, resources and prompts over
Streamable HTTP (`/mcp/`) and stdio (`manage.py mcp`), OAuth 2.1 for its clients, and the
log of every tool call.

Imports the apps below it (core to webhooks); no app imports it."""
