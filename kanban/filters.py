import django_filters
from django.db.models import Exists, OuterRef

from core.filters import FilterSet
from kanban.models import Commit, Task, TaskDependency


class TaskFilter(FilterSet):
    project = django_filters.UUIDFilter()
    prompt = django_filters.UUIDFilter()
    parent = django_filters.UUIDFilter()
    top_level = django_filters.BooleanFilter(
        field_name="parent",
        lookup_expr="isnull",
        label="Only tasks that are not subtasks (true), or only subtasks.",
    )
    blocked = django_filters.BooleanFilter(
        method="filter_blocked", label="Blocked by a task not done (true), or not."
    )

    class Meta:
        model = Task
        fields = ["project", "status", "prompt", "priority", "parent", "top_level", "blocked", "complexity"]

    def filter_blocked(self, queryset, name, value):
        waiting = TaskDependency.objects.filter(task=OuterRef("pk")).exclude(
            depends_on__status=Task.Status.DONE
        )
        return queryset.filter(Exists(waiting) if value else ~Exists(waiting))


class CommitFilter(FilterSet):
    project = django_filters.UUIDFilter()
    task = django_filters.UUIDFilter()

    class Meta:
        model = Commit
        fields = ["project", "task", "type", "breaking"]
