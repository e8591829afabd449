from rest_framework import serializers

from activity.models import Activity


class ActivitySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    changes = serializers.JSONField(
        help_text='Each changed field: {"from": ..., "to": ...}; secrets show only "(secret)".'
    )
    via = serializers.JSONField(help_text="The job, or the agent's chat session and tool call.")

    class Meta:
        model = Activity
        fields = [
            "id",
            "object_type",
            "object_id",
            "object_repr",
            "verb",
            "changes",
            "actor",
            "channel",
            "via",
            "created_at",
        ]
        read_only_fields = fields
