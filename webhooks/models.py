import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from core.fields import EncryptedTextField
from core.models import UUIDModel
from core.outbound import validate_outbound_url
from projects.models import Project, ProjectScopedQuerySet


class WebhookSubscription(UUIDModel):
    """Where to send a project's events (`task.created`, `job.succeeded`, ... or `*`), signed
    with the subscription's secret per the Standard Webhooks spec."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500, validators=[validate_outbound_url])
    event_types = models.JSONField(default=list, help_text='Event types to send, or ["*"] for all.')
    secret = EncryptedTextField(editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.url

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class DeliveryQuerySet(ProjectScopedQuerySet):
    project_path = "subscription__project"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(UUIDModel):
    """One event for one subscription, and how sending it went; its id is the `webhook-id`."""

    Status = DeliveryStatus

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it is tried (again), while pending; an attempt moves it on first.",
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self):
        made = f" of {self.created_at:%Y-%m-%d %H:%M:%S}" if self.created_at else ""
        return f"{self.event_type}{made} ({self.status})"

    @property
    def message_id(self) -> str:
        return f"msg_{uuid.UUID(str(self.pk)).hex}"


class WebhookOutbox(models.Model):
    """The events one transaction made for one project, written in that transaction and
    matched to the project's subscriptions after it commits (then deleted): a write pays one
    row, whatever the number of subscriptions, and an event is never lost to a crash or a
    broker outage between the commit and its deliveries."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    events = models.JSONField(default=list, encoder=DjangoJSONEncoder, help_text="[{type, data}], in order.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "webhook outbox"

    def __str__(self):
        return f"{len(self.events)} event(s) of {self.project_id}"
