from django.contrib import admin

from chat.models import ChatSession, Message, ToolCall


class ReadOnlyInlineMixin:
    """Messages and tool calls are an audit trail: shown, never edited."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MessageInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = Message
    fields = ["role", "content", "usage", "tool_call_summary", "created_at"]
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tool_calls")

    @admin.display(description="Tool calls")
    def tool_call_summary(self, message):
        return ", ".join(f"{call.tool_name} ({call.status})" for call in message.tool_calls.all()) or "—"


class ToolCallInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ToolCall
    fields = ["tool_name", "arguments", "result", "status", "duration_ms", "created_at"]
    readonly_fields = fields


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "status", "ai_model_used", "created_at", "updated_at"]
    list_filter = ["status", "ai_model_used"]
    search_fields = ["task__title", "task__project__name", "ai_model_used"]
    list_select_related = ["task"]
    raw_id_fields = ["task"]
    readonly_fields = ["id", "created_at", "updated_at"]
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "session", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["content"]
    readonly_fields = ["id", "session", "role", "content", "usage", "created_at"]
    inlines = [ToolCallInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ToolCall)
class ToolCallAdmin(admin.ModelAdmin):
    list_display = ["tool_name", "status", "duration_ms", "message", "created_at"]
    list_filter = ["status", "tool_name"]
    search_fields = ["tool_name"]
    readonly_fields = [
        "id",
        "message",
        "tool_name",
        "arguments",
        "result",
        "status",
        "duration_ms",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
