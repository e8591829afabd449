from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jobs.kinds import RESULT_PROPERTIES
from jobs.models import Job, ModelCall
from jobs.totals import TOKEN_COUNTS

# Written out rather than derived from serializers: a nullable object must carry `nullable`
# itself (OpenAPI 3.0), not beside a reference. Its properties are those the kinds declare.
RESULT_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "What the action answered, under the name of what it made; null until it succeeded.",
    "properties": RESULT_PROPERTIES,
}
ERROR_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "Why the job failed or was cancelled; null otherwise.",
    "properties": {
        "code": {
            "type": "string",
            "description": "e.g. ai_provider_timeout, ai_provider_error, job_cancelled.",
        },
        "detail": {"type": "string"},
        "http_status": {
            "type": "integer",
            "description": "What the action would have answered in a request.",
        },
    },
    "required": ["code", "detail", "http_status"],
}


@extend_schema_field(RESULT_SCHEMA)
class JobResultField(serializers.JSONField):
    """Stored as the action answered it when the job finished."""


@extend_schema_field(ERROR_SCHEMA)
class JobErrorField(serializers.JSONField):
    pass


class ModelCallSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelCall
        fields = [
            "ai_model",
            "model",
            *TOKEN_COUNTS,
            "latency_ms",
            "finish_reason",
            "cost",
            "price_source",
            "error",
            "created_at",
        ]
        read_only_fields = fields


class JobSerializer(serializers.ModelSerializer):
    result = JobResultField(read_only=True)
    error = JobErrorField(read_only=True)
    model_calls = ModelCallSerializer(
        many=True, read_only=True, help_text="Every provider call, in order: a fallback's attempts too."
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "project",
            "ai_model",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "result",
            "error",
            "usage",
            "cost",
            "model_calls",
        ]
        read_only_fields = fields
