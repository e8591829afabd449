from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from core.models import UUIDModel, choices_constraint
from jobs.kinds import kind_choices


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Job(UUIDModel):
    """One AI action, run by a worker (or inline, after the request's transaction commits).

    `input` holds what the handler needs (object ids, the user's text); `result` what the
    action used to answer; `error` is `{code, detail, http_status}` when it failed."""

    Status = JobStatus
    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)
    UNFINISHED = (Status.QUEUED, Status.RUNNING)

    # One of the kinds the apps declare (jobs.kinds): the engine knows none itself.
    kind = models.CharField(max_length=32, choices=kind_choices, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jobs",
        help_text="Who asked; empty for a job started by a management command.",
    )
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    task = models.ForeignKey(
        "kanban.Task",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        help_text="The task the action was for (a commit, an expansion, an agent turn).",
    )
    chat_session = models.ForeignKey(
        "chat.ChatSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        help_text="The chat session of an agent turn.",
    )
    ai_model = models.ForeignKey(
        "aimodels.AIModel", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    input = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Deliveries to a worker so far.")
    dispatches = models.PositiveIntegerField(
        default=0, help_text="Messages sent for it to the workers; only the latest runs it."
    )
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="When it was last sent again.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    error = models.JSONField(null=True, blank=True)
    cost = models.DecimalField(
        max_digits=14,
        decimal_places=8,
        null=True,
        blank=True,
        help_text="What its model calls cost, in US dollars: the costs known (usage.unknown_cost_calls "
        "had none); null before any call, or when no answered call's cost is known (see jobs.totals).",
    )
    usage = models.JSONField(
        default=dict,
        blank=True,
        help_text="Its calls (failed_calls, unknown_token_calls, unknown_cost_calls) and the token counts "
        "known, summed (null when none is known).",
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_digest = models.CharField(
        max_length=64, blank=True, help_text="What the Idempotency-Key was first used for."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_constraint(field="status", choices=JobStatus, name="job_status_valid"),
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="job_idempotency_key_unique_per_owner",
            ),
        ]
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_recent")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def duration(self) -> str:
        """How long it ran (so far), for people: "2.4 s", "3 min 5 s"; empty before it started."""
        if self.started_at is None:
            return ""
        seconds = ((self.finished_at or timezone.now()) - self.started_at).total_seconds()
        return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {round(seconds % 60)} s"


class JobEventType(models.TextChoices):
    STATUS = "status", "Status"
    TOKEN = "token", "Token"
    TOOL_CALL = "tool_call", "Tool call"
    TOOL_RESULT = "tool_result", "Tool result"
    DONE = "done", "Done"
    ERROR = "error", "Error"


class JobEvent(models.Model):
    """What a job did, in order: the events its stream sends. The id is the stream's event id."""

    Type = JobEventType
    FINAL = (Type.DONE, Type.ERROR)

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=16, choices=Type.choices)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [choices_constraint(field="type", choices=JobEventType, name="jobevent_type_valid")]
        indexes = [models.Index(fields=["job", "id"], name="jobevent_job_order")]

    def __str__(self):
        return f"{self.type} #{self.pk}"


class ModelCall(models.Model):
    """One provider call of a job (every attempt, a failed one or a fallback's too): the
    tokens in one vocabulary, the provider's own usage, the latency, and what it cost."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="model_calls")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="model_calls"
    )
    ai_model = models.ForeignKey(
        "aimodels.AIModel", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    model = models.CharField(
        max_length=200, blank=True, help_text="The model that answered, as named by its provider."
    )
    provider = models.CharField(max_length=32, blank=True)
    # Token counts: null when unknown (a failed call, a server that reports no usage).
    input_tokens = models.PositiveIntegerField(
        null=True, blank=True, help_text="Every input token, cached ones included."
    )
    cached_input_tokens = models.PositiveIntegerField(null=True, blank=True)
    cache_write_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True, help_text="Reasoning tokens included.")
    reasoning_tokens = models.PositiveIntegerField(null=True, blank=True)
    raw_usage = models.JSONField(default=dict, blank=True, help_text="The usage as the provider reported it.")
    latency_ms = models.PositiveIntegerField(default=0)
    finish_reason = models.CharField(max_length=32, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    price_source = models.CharField(
        max_length=64, blank=True, help_text="override, local, genai-prices <version>, or unknown."
    )
    error = models.JSONField(null=True, blank=True, help_text="{code, detail} when the call failed.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["project", "created_at"], name="modelcall_project_time")]

    def __str__(self):
        return f"{self.model or self.ai_model_id} for job {self.job_id}"

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def tokens_known(self) -> bool:
        """It answered, and its provider reported its input and output token counts."""
        return not self.failed and self.input_tokens is not None and self.output_tokens is not None
