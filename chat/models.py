from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from aimodels.models import AIUsageTotals
from core.models import TimeStampedModel, UUIDModel, choices_constraint
from kanban.models import Task
from projects.models import ProjectScopedQuerySet


class AppendOnlyModel(UUIDModel):
    """A record that is written once: saving an existing row is refused."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)


class ChatSessionQuerySet(ProjectScopedQuerySet):
    project_path = "task__project"


class ChatJob(models.TextChoices):
    """The kinds of job of a chat session (chat.jobs)."""

    CHAT_MESSAGE = "chat_message", "Agent turn"


class ChatSessionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class ChatSession(TimeStampedModel, AIUsageTotals):
    Status = ChatSessionStatus

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="chat_sessions")
    ai_model_used = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    allow_destructive = models.BooleanField(
        default=False,
        help_text="Whether the agent may call destructive tools (delete_task); otherwise they are "
        "refused and recorded as errors.",
    )

    objects = ChatSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            choices_constraint(field="status", choices=ChatSessionStatus, name="chatsession_status_valid")
        ]

    def __str__(self):
        started = f", {self.created_at:%Y-%m-%d %H:%M}" if self.created_at else ""
        return f"Chat on “{self.task.title}”{started} ({self.status})"


class MessageQuerySet(ProjectScopedQuerySet):
    project_path = "session__task__project"


class MessageRole(models.TextChoices):
    SYSTEM = "system", "System"
    USER = "user", "User"
    ASSISTANT = "assistant", "Assistant"
    TOOL = "tool", "Tool"


class Message(AppendOnlyModel):
    Role = MessageRole

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices, db_index=True)
    content = models.TextField(blank=True)
    usage = models.JSONField(default=dict, blank=True, help_text="Token counts reported by the provider.")
    finish_reason = models.CharField(
        max_length=32,
        blank=True,
        help_text="Why the model stopped: stop, length, tool_calls, content_filter.",
    )
    truncated = models.BooleanField(default=False, help_text="The answer was cut off at max_tokens.")
    tool_requests = models.JSONField(
        default=list,
        blank=True,
        help_text="The tool calls the model asked for, in order: {id, name, arguments, raw_arguments}.",
    )
    job = models.ForeignKey(
        "jobs.Job",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        help_text="The agent turn that wrote this message.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [choices_constraint(field="role", choices=MessageRole, name="message_role_valid")]

    def __str__(self):
        return f"{self.role}: {self.content[:60]}"


class ToolCallQuerySet(ProjectScopedQuerySet):
    project_path = "message__session__task__project"


class ToolCallStatus(models.TextChoices):
    SUCCESS = "success", "Success"
    ERROR = "error", "Error"


class ToolCall(AppendOnlyModel):
    """The audit record of one tool the AI model called, written in the transaction of the
    call's effect. One per session and call id: a call recorded once is never run again."""

    Status = ToolCallStatus

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="tool_calls")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="tool_calls")
    call_id = models.CharField(max_length=100, help_text="The provider's id for this call.")
    tool_name = models.CharField(max_length=100, db_index=True)
    arguments = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ToolCallQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            choices_constraint(field="status", choices=ToolCallStatus, name="toolcall_status_valid"),
            models.UniqueConstraint(fields=["session", "call_id"], name="toolcall_once_per_session"),
        ]

    def __str__(self):
        return f"{self.tool_name} ({self.status})"
