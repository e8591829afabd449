from kanban import services
from kanban.filters import CommitFilter, TaskFilter
from kanban.models import Commit, Task
from kanban.serializers import CommitSerializer, TaskSerializer
from orchestrator.viewsets import ProjectScopedViewSet


class TaskViewSet(ProjectScopedViewSet):
    queryset = Task.objects.in_board_order()
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    search_fields = ["title", "description"]
    ordering_fields = ["created_at", "updated_at", "title", "order"]

    def perform_create(self, serializer):
        serializer.instance = services.task_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.task_update(task=serializer.instance, **serializer.validated_data)


class CommitViewSet(ProjectScopedViewSet):
    queryset = Commit.objects.all()
    serializer_class = CommitSerializer
    filterset_class = CommitFilter
    search_fields = ["message", "scope"]
    ordering_fields = ["timestamp"]
