import django_filters
from django.db.models import Exists, OuterRef, Q
from rest_framework.filters import search_smart_split

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


class BoardFilter(TaskFilter):
    """The board's filters: the task list's, and its `search` (each term, or "quoted phrase",
    in the title or the description, as the list's search matches them)."""

    search = django_filters.CharFilter(method="filter_search")

    def filter_search(self, queryset, name, value):
        for term in search_smart_split(value):
            queryset = queryset.filter(Q(title__icontains=term) | Q(description__icontains=term))
        return queryset


class CommitFilter(FilterSet):
    project = django_filters.UUIDFilter()
    task = django_filters.UUIDFilter()

    class Meta:
        model = Commit
        fields = ["project", "task", "type", "breaking"]
