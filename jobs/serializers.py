from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jobs.models import Job, ModelCall
from jobs.totals import TOKEN_COUNTS


def _ref(component: str, description: str) -> dict:
    return {"allOf": [{"$ref": f"#/components/schemas/{component}"}], "description": description}


# Written out rather than derived from serializers: a nullable object must carry `nullable`
# itself (OpenAPI 3.0), not beside a reference.
RESULT_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "What the action answered, under the name of what it made; null until it succeeded.",
    "properties": {
        "interview": _ref("Interview", "interview_message: the interview with both turns."),
        "prompt": _ref("Prompt", "prompt_generate: the new prompt."),
        "commit": _ref("Commit", "commit_generate: the new commit."),
        "task": _ref("Task", "brief_draft: the task with its drafted brief."),
        "messages": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Message"},
            "description": "chat_message: the messages the turn added, the user's first.",
        },
        "created": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Task"},
            "description": "task_plan, task_expand: the tasks written, in dependency order.",
        },
        "kept": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Task"},
            "description": "task_plan, task_expand: the tasks already there under the same title.",
        },
        "tasks": {
            "type": "array",
            "description": "complexity_analyze: each open task's score.",
            "items": {
                "type": "object",
                "properties": {
                    "task": {"type": "string", "format": "uuid"},
                    "title": {"type": "string"},
                    "complexity": {"type": "integer", "minimum": 1, "maximum": 10},
                    "reason": {"type": "string"},
                    "expand": {"type": "boolean", "description": "Whether to split it into subtasks."},
                },
                "required": ["task", "title", "complexity", "reason", "expand"],
            },
        },
        "recommended": {
            "type": "array",
            "items": {"type": "string", "format": "uuid"},
            "description": "complexity_analyze: the tasks to expand.",
        },
        "test": {
            "type": "object",
            "description": "ai_model_test: the outcome.",
            "properties": {
                "ok": {"type": "boolean"},
                "latency_ms": {"type": "integer"},
                "error": {"type": "string", "nullable": True},
                "tools": {
                    "type": "object",
                    "description": "Whether the model answered a forced tool call too.",
                    "properties": {"ok": {"type": "boolean"}, "error": {"type": "string", "nullable": True}},
                    "required": ["ok", "error"],
                },
            },
            "required": ["ok", "latency_ms", "error"],
        },
    },
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
