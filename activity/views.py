from django.shortcuts import get_object_or_404
from rest_framework import generics

from activity.models import Activity
from activity.serializers import ActivitySerializer
from core.pagination import KeysetPagination
from kanban.models import Task
from projects.models import Project


class ActivityList(generics.ListAPIView):
    """Newest first, paged by cursor; the same queries whatever the page."""

    serializer_class = ActivitySerializer
    pagination_class = KeysetPagination
    filter_backends = []
    keyset = ("id",)
    keyset_descending = True


class ProjectActivityView(ActivityList):
    """Every recorded change of the project and its interviews, prompts (label moves
    included), tasks and commits: who, through what, when, and the fields before and after."""

    def get_queryset(self):
        project = get_object_or_404(Project.objects.for_user(self.request.user), pk=self.kwargs["pk"])
        return Activity.objects.filter(project=project).select_related("actor")


class TaskActivityView(ActivityList):
    """Every recorded change of the task: created, changed (dependencies too), moved."""

    def get_queryset(self):
        task = get_object_or_404(Task.objects.for_user(self.request.user), pk=self.kwargs["pk"])
        return Activity.objects.filter(object_type="kanban.task", object_id=str(task.pk)).select_related(
            "actor"
        )
