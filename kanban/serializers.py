from django.db.models import QuerySet
from rest_framework import serializers

from aimodels.serializers import AIActionSerializer
from kanban.conventional import CommitMessageError, commit_fields, normalised
from kanban.models import Commit, Task
from orchestrator.viewsets import OwnedRelatedField, ProjectScopedSerializer
from projects.models import Project, Prompt

# Bounds of the board's numeric inputs (a 0-based index past the end means "last").
MAX_INDEX = 2**31 - 1
MAX_LIMIT_PER_COLUMN = 1000


class TaskSerializer(ProjectScopedSerializer):
    project = OwnedRelatedField(queryset=Project.objects.all())
    prompt = OwnedRelatedField(queryset=Prompt.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "project",
            "prompt",
            "title",
            "description",
            "status",
            "order",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["order"]
        create_only = ["project"]


def task_rows(tasks: QuerySet, *extra: str) -> QuerySet:
    """`tasks` as dicts in TaskSerializer's shape (plus the `extra` columns), read with
    `values()`: the lists of many tasks (the task list, the board) build neither model
    instances nor a serializer call per field. The JSON renderer writes each value as the
    serializer would (UUIDs, UTC datetimes ending in "Z"); a test holds the two equal."""
    return tasks.values(*TaskSerializer.Meta.fields, *extra)


class TaskMoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Task.Status.choices)
    position = serializers.IntegerField(
        min_value=0,
        max_value=MAX_INDEX,
        required=False,
        help_text="0-based index in the column; omitted or past the end: last.",
    )


class CommitSerializer(ProjectScopedSerializer):
    """`type`, `scope` and `breaking` come from the message header; if given, they must agree."""

    task = OwnedRelatedField(queryset=Task.objects.all())

    class Meta:
        model = Commit
        fields = [
            "id",
            "task",
            "project",
            "type",
            "scope",
            "breaking",
            "message",
            "changes",
            "created_by_ai_model",
            "author",
            "timestamp",
        ]
        read_only_fields = ["project", "created_by_ai_model", "timestamp"]
        extra_kwargs = {
            "type": {"required": False},
            "scope": {"required": False},
            "breaking": {"required": False},
        }
        create_only = ["task"]

    def validate_message(self, message):
        return normalised(message)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        message = attrs.get("message", getattr(self.instance, "message", ""))
        try:
            derived = commit_fields(message)
        except CommitMessageError as exc:
            raise serializers.ValidationError({"message": [str(exc)]}) from None
        mismatched = {
            name: [f"Does not match the message header ({derived[name]!r})."]
            for name in derived
            if name in attrs and attrs[name] != derived[name]
        }
        if mismatched:
            raise serializers.ValidationError(mismatched)
        return {**attrs, **derived}


class BoardColumnSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Task.Status.choices)
    count = serializers.IntegerField(help_text="Tasks in the column, whatever `limit_per_column` lists.")
    wip_limit = serializers.IntegerField(allow_null=True)
    tasks = TaskSerializer(many=True)


class BoardSerializer(serializers.Serializer):
    project = serializers.UUIDField()
    columns = BoardColumnSerializer(many=True)


class BoardQuerySerializer(serializers.Serializer):
    limit_per_column = serializers.IntegerField(
        min_value=0,
        max_value=MAX_LIMIT_PER_COLUMN,
        required=False,
        help_text="List at most this many tasks per column.",
    )


class CommitGenerateSerializer(AIActionSerializer):
    task = OwnedRelatedField(queryset=Task.objects.all())
    changes = serializers.JSONField(help_text="What changed: files, diff, summary...")
