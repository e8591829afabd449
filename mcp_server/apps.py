from django.apps import AppConfig


class McpServerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mcp_server"
    verbose_name = "MCP server"

    def ready(self):
        from mcp_server import system_settings  # noqa: F401  (registers on import)
