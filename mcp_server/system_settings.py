"""The system settings the MCP server reads."""

from aimodels.registry import register_setting, validate_boolean

register_setting(
    key="mcp.allow_destructive",
    description="Whether coding agents may call destructive MCP tools (delete_task), true or false.",
    default=False,
    validate=validate_boolean,
)
