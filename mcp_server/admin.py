from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from mcp_server.models import ToolCallRecord


@admin.register(ToolCallRecord)
class ToolCallRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every MCP tool call, read or write, refused or not: read-only, an audit trail. What a
    call changed is in the activity history (channel `mcp`)."""

    list_display = ["created_at", "tool", "user", "client", "holder", "is_error", "duration_ms"]
    list_filter = ["is_error", "tool", "client", ("user", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["tool", "holder", "client", "user__username", "error"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    fields = ["created_at", "user", "client", "holder", "tool", "arguments", "is_error", "error"]
    fields += ["duration_ms"]
