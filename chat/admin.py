from django.contrib import admin, messages

from aimodels.admin import AIUsageAdminMixin
from chat import services
from chat.models import ChatSession, Message, ToolCall
from core.admin import AutocompleteAdminMixin, ReadOnlyAdminMixin, ReadOnlyInlineMixin, WorkspaceAdminMixin
from core.exceptions import Conflict
from jobs.models import Job
from projects.admin import ProjectListFilter


class ToolCallInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ToolCall
    fields = ["tool_name", "arguments", "result", "status", "duration_ms", "created_at"]


@admin.register(ChatSession)
class ChatSessionAdmin(AIUsageAdminMixin, AutocompleteAdminMixin, WorkspaceAdminMixin, admin.ModelAdmin):
    """Status changes by the agent or the complete action; the trail is read-only. Its page is
    the conversation, tool calls and their results included, with a composer."""

    # The title names the task, the start and the status: no UUID column, and the list fits 1280 px.
    list_display = ["__str__", "allow_destructive", "ai_model_used", "updated_at"]
    list_filter = [
        "status",
        ("task__project", ProjectListFilter),
        ("task__project__owner", admin.RelatedOnlyFieldListFilter),
        "ai_model_used",
    ]
    search_fields = ["task__title", "task__project__name", "ai_model_used"]
    list_select_related = ["task"]
    autocomplete_fields = ["task"]
    fields = [
        "id",
        "task",
        "status",
        "allow_destructive",
        "ai_model_used",
        "ai_usage_shown",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["id", "status", "ai_model_used", "ai_usage_shown", "created_at", "updated_at"]
    actions = ["complete"]

    def workspace(self, request, session):
        return [
            {
                "template": "admin/chat/session_workspace.html",
                "messages": session.messages.prefetch_related("tool_calls"),
                "active": session.status == ChatSession.Status.ACTIVE,
                "jobs": Job.objects.filter(chat_session=session).select_related("ai_model"),
            }
        ]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "task"] if obj else self.readonly_fields

    @admin.action(description="Complete selected chat sessions")
    def complete(self, request, queryset):
        done = 0
        for session in queryset:
            try:
                services.chat_session_complete(session=session)
                done += 1
            except Conflict as exc:
                self.message_user(request, f"Skipped: {exc.detail}", level=messages.WARNING)
        self.message_user(request, f"{done} chat session(s) completed.")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "session", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["content"]
    inlines = [ToolCallInline]


@admin.register(ToolCall)
class ToolCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["tool_name", "status", "duration_ms", "message", "created_at"]
    list_filter = ["status", "tool_name"]
    search_fields = ["tool_name"]
