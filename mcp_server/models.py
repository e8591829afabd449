from django.conf import settings
from django.db import models


class ToolCallRecord(models.Model):
    """One MCP tool call, read or write, refused or not: who (the token's user), from which
    client and holder, which tool with what, how it ended and how long it took. What a call
    changed is in the activity history (channel `mcp`), with its before and after."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client = models.CharField(max_length=100, help_text="The client's name, e.g. claude-code.")
    holder = models.CharField(max_length=100, help_text="Who the claims it takes are for.")
    tool = models.CharField(max_length=100)
    arguments = models.JSONField(default=dict, help_text="As sent, long strings shortened.")
    is_error = models.BooleanField(default=False)
    error = models.TextField(blank=True, help_text="What the agent was told, for a refused call.")
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "MCP tool call"
        indexes = [models.Index(fields=["user", "-created_at"], name="mcp_call_user_recent")]

    def __str__(self):
        return f"{self.tool} by {self.holder} at {self.created_at:%Y-%m-%d %H:%M:%S}"
