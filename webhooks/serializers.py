from rest_framework import serializers

from core.viewsets import OwnedRelatedField, ProjectScopedSerializer
from projects.models import Project
from webhooks.models import WebhookDelivery, WebhookSubscription

EVENT_TYPE = r"^(\*|[a-z_]+\.[a-z_]+)$"


class WebhookSubscriptionSerializer(ProjectScopedSerializer):
    """`secret` is shown once, in the answer to the create; afterwards it is null."""

    project = OwnedRelatedField(queryset=Project.objects.all())
    event_types = serializers.ListField(
        child=serializers.RegexField(EVENT_TYPE, max_length=64),
        allow_empty=False,
        max_length=50,
        help_text='e.g. ["task.created", "task.moved", "job.succeeded"], or ["*"] for every event.',
    )
    secret = serializers.SerializerMethodField(
        help_text="The signing secret (whsec_...), in the create answer only."
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "project", "url", "event_types", "is_active", "secret", "created_at"]
        create_only = ["project"]

    def get_secret(self, subscription) -> str | None:
        return subscription.secret if self.context.get("show_secret") else None


class WebhookDeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="message_id", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "event_type",
            "payload",
            "status",
            "attempts",
            "response_status",
            "error",
            "created_at",
            "last_attempt_at",
        ]
        read_only_fields = fields
