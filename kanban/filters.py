import django_filters

from kanban.models import Commit, Task
from orchestrator.filters import FilterSet


class TaskFilter(FilterSet):
    project = django_filters.UUIDFilter()
    prompt = django_filters.UUIDFilter()

    class Meta:
        model = Task
        fields = ["project", "status", "prompt"]


class CommitFilter(FilterSet):
    project = django_filters.UUIDFilter()
    task = django_filters.UUIDFilter()

    class Meta:
        model = Commit
        fields = ["project", "task", "type", "breaking"]
