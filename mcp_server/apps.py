from django.apps import AppConfig


class McpServerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mcp_server"
    verbose_name = "MCP server"

    def ready(self):
        from aimodels.registry import register_setting
        from kanban.apps import validate_boolean

        register_setting(
            key="mcp.allow_destructive",
            description="Whether coding agents may call destructive MCP tools (delete_task), true or false.",
            default=False,
            validate=validate_boolean,
        )
