from rest_framework import serializers

from kanban.models import Commit, Task
from orchestrator.viewsets import OwnedRelatedField, ProjectScopedSerializer
from projects.models import Project, Prompt


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


class TaskMoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Task.Status.choices)
    position = serializers.IntegerField(
        min_value=0, required=False, help_text="0-based index in the column; omitted or past the end: last."
    )


class CommitSerializer(ProjectScopedSerializer):
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
        create_only = ["task"]
