from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Verb(models.TextChoices):
    CREATED = "created", "Created"
    CHANGED = "changed", "Changed"
    MOVED = "moved", "Moved"
    DELETED = "deleted", "Deleted"
    LABEL_MOVED = "label_moved", "Label moved"
    CLAIMED = "claimed", "Claimed"
    RELEASED = "released", "Released"
    CLAIM_BROKEN = "claim_broken", "Claim broken"
    APPROVED = "approved", "Approved"
    APPROVAL_VOIDED = "approval_voided", "Approval voided"
    COMMITTED = "committed", "Committed"
    # How a job ended.
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Channel(models.TextChoices):
    API = "api", "API"
    ADMIN = "admin", "Admin"
    AGENT = "agent", "Agent"
    COMMAND = "command", "Command"
    MCP = "mcp", "MCP"


class Activity(models.Model):
    """One change of a project's objects (or of an AI model or a setting), written in the
    transaction of the change and never changed or deleted afterwards: who (`actor`, and for
    the agent its session and tool call in `via`), through what (`channel`), what, and the
    changed fields before and after (secrets only as changed, never their values)."""

    Verb = Verb
    Channel = Channel

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="activity"
    )
    object_type = models.CharField(max_length=50, help_text="app.model, e.g. kanban.task.")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    verb = models.CharField(max_length=16, choices=Verb.choices)
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    via = models.JSONField(
        default=dict, blank=True, help_text="The job, or the agent's session and tool call."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "activity"
        indexes = [
            models.Index(fields=["project", "-id"], name="activity_project_newest"),
            models.Index(fields=["object_type", "object_id", "-id"], name="activity_object_newest"),
        ]

    def __str__(self):
        return f"{self.object_repr} {self.verb}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Activity is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Activity is append-only.")

    @property
    def event_type(self) -> str:
        """`<model>.<verb>`: `task.moved`, `job.succeeded`."""
        return f"{self.object_type.split('.')[-1]}.{self.verb}"
