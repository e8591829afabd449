from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.renderers import JSONRenderer

from activity.models import Activity
from activity.serializers import ActivitySerializer
from core.db import release_connection
from core.pagination import KeysetPagination
from core.stream_views import (
    STREAM_PARAMETERS,
    StreamNegotiation,
    event_stream_response,
    last_event_id,
    stream_responses,
)
from core.streams import BATCH, Event, EventStream
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


class ProjectEventsView(generics.GenericAPIView):
    """The project's activity as it happens, for live views (the board): a
    `text/event-stream` of its records (tasks created, changed, moved, deleted, dependency
    and label changes, AI jobs ended...), each event named `<model>.<verb>` (`task.moved`,
    `job.succeeded`) with the record as its data and its id as the event's id. From now,
    or after `Last-Event-ID`; the stream ends after a few minutes, and the client reconnects."""

    serializer_class = ActivitySerializer
    pagination_class = None
    filter_backends = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = StreamNegotiation

    @extend_schema(
        parameters=STREAM_PARAMETERS,
        responses=stream_responses(
            "Server-sent events, each with an `id:` (the record's), named `<model>.<verb>`, each "
            "`data:` an Activity as JSON."
        ),
        filters=False,
    )
    def get(self, request, pk):
        projects = Project.objects.for_user(request.user).values_list("pk", flat=True)
        project = get_object_or_404(projects, pk=pk)
        after = last_event_id(request)
        if after is None:  # from now: the newest record so far
            after = Activity.objects.filter(project=project).values_list("pk", flat=True).first() or 0
        release_connection()

        def fetch(since: int) -> list[Event]:
            records = Activity.objects.filter(project=project, pk__gt=since).select_related("actor")
            return [
                Event(record.pk, record.event_type, ActivitySerializer(record).data)
                for record in records.order_by("pk")[:BATCH]
            ]

        stream = EventStream(channel=f"project:{project}", fetch=fetch, after=after)
        return event_stream_response(request, stream)
