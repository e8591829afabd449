import json
import re
import time

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.db import release_connection
from core.schema import ErrorSerializer
from jobs import services
from jobs.filters import JobFilter
from jobs.models import Job, JobEvent
from jobs.serializers import JobSerializer

# How often an open stream looks for new events, how often it sends a comment to keep the
# connection open, and how long one connection lasts (the client reconnects with Last-Event-ID).
STREAM_POLL_SECONDS = 0.2
STREAM_KEEPALIVE_SECONDS = 15
STREAM_MAX_SECONDS = 300
# Milliseconds a client waits before it reconnects (EventSource reads it).
STREAM_RETRY_MS = 1000

PREFER_WAIT = re.compile(r"(?:^|[,;])\s*wait\s*=\s*\"?(\d{1,6})\"?\s*(?=$|[,;])", re.IGNORECASE)
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")

AI_ACTION_PARAMETERS = [
    OpenApiParameter(
        "Prefer",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description=(
            "`wait=N` (RFC 7240, N up to 60): answer 200 with the finished job if it finishes "
            "within N seconds, else 202. Inline jobs (no broker configured) have always finished."
        ),
    ),
    OpenApiParameter(
        "Idempotency-Key",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description=(
            "Up to 255 printable ASCII characters. The same key from the same user gives the same "
            "job back, and the action does not run again; a key reused for another request is a 409."
        ),
    ),
]


StreamedEventSerializer = inline_serializer(
    name="JobStreamEvent",
    fields={
        "id": serializers.CharField(help_text="The event's id: resume after it with Last-Event-ID."),
        "event": serializers.ChoiceField(choices=JobEvent.Type.choices),
        "data": serializers.CharField(
            help_text="A JSON object; its fields depend on the event (see the README)."
        ),
    },
)


# An AI action's 409: a reused idempotency key, a model that cannot be called, or a project
# over its monthly budget (which also says the budget and the month's spend).
AIActionConflictSerializer = inline_serializer(
    name="AIActionConflict",
    fields={
        "detail": serializers.CharField(help_text="What went wrong."),
        "monthly_budget": serializers.DecimalField(
            max_digits=12, decimal_places=2, required=False, help_text="Over budget: the project's budget."
        ),
        "month_spend": serializers.DecimalField(
            max_digits=16,
            decimal_places=2,
            required=False,
            help_text="Over budget: the month's spend so far.",
        ),
    },
)


def ai_action(request_serializer, *, description: str = ""):
    """The schema of an AI action: it answers a job (200 finished, 202 still running)."""
    return extend_schema(
        request=request_serializer,
        parameters=AI_ACTION_PARAMETERS,
        responses={
            200: OpenApiResponse(JobSerializer, description="The job, finished."),
            202: OpenApiResponse(
                JobSerializer, description="The job, queued or running; `Location` is its URL."
            ),
            409: AIActionConflictSerializer,
        },
        description=description or None,
    )


def idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if key and not IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationError({"Idempotency-Key": ["Use 1 to 255 printable ASCII characters, no spaces."]})
    return key


def job_response(request, job: Job) -> Response:
    """202 with the job and its Location; 200 once it has finished (waiting as `Prefer` asks)."""
    headers = {"Location": f"/api/v1/jobs/{job.pk}/"}
    if match := PREFER_WAIT.search(request.headers.get("Prefer", "")):
        seconds = min(int(match.group(1)), services.MAX_WAIT_SECONDS)
        job = services.job_wait(job=job, seconds=seconds)
        headers["Preference-Applied"] = f"wait={seconds}"
    else:
        job.refresh_from_db()
    code = status.HTTP_200_OK if job.finished else status.HTTP_202_ACCEPTED
    return Response(JobSerializer(job).data, status=code, headers=headers)


class StreamNegotiation(BaseContentNegotiation):
    """The events endpoint answers an event stream to any Accept (EventSource sends
    `text/event-stream`), and its errors in JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _sse(event: JobEvent) -> str:
    return f"id: {event.pk}\nevent: {event.type}\ndata: {json.dumps(event.data)}\n\n"


def event_stream(job_id, after: int):
    """The job's events after `after`, then new ones as they are written, until the final
    `done` or `error` (or STREAM_MAX_SECONDS, after which the client reconnects)."""
    yield f"retry: {STREAM_RETRY_MS}\n\n"
    started = quiet_since = time.monotonic()
    while True:
        events = services.job_events(job_id=job_id, after=after)
        finished = not events and Job.objects.filter(pk=job_id, status__in=Job.FINISHED).exists()
        release_connection()  # no connection is held while the stream waits
        for event in events:
            after = event.pk
            yield _sse(event)
            if event.type in JobEvent.FINAL:
                return
        if finished or time.monotonic() - started > STREAM_MAX_SECONDS:
            return
        if events:
            quiet_since = time.monotonic()
            continue
        if time.monotonic() - quiet_since > STREAM_KEEPALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield ": keep-alive\n\n"
        time.sleep(STREAM_POLL_SECONDS)


async def async_event_stream(job_id, after: int):
    """The same stream for an ASGI server: each wait happens in a thread, not the event loop."""
    chunks = event_stream(job_id, after)
    while (chunk := await sync_to_async(next, thread_sensitive=False)(chunks, None)) is not None:
        yield chunk


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The AI actions you started: what they are doing, what they answered, and their events."""

    queryset = Job.objects.prefetch_related("model_calls")
    serializer_class = JobSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = JobFilter
    ordering_fields = ["created_at", "finished_at"]

    def get_queryset(self):
        return super().get_queryset().filter(owner=self.request.user)

    @extend_schema(request=None, responses={200: JobSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a queued or running job; what it was about to record is not written."""
        return Response(JobSerializer(services.job_cancel(job=self.get_object())).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Last-Event-ID",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                description="Resume after this event id (browsers send it when they reconnect).",
            ),
            OpenApiParameter(
                "last_event_id",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                description="The same, for clients that cannot set headers.",
            ),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                StreamedEventSerializer,
                description=(
                    "Server-sent events, each with an `id:`: `status`, `token` (text as the model "
                    "writes it), `tool_call`, `tool_result`, then a final `done` or `error`."
                ),
            ),
        },
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[JSONRenderer],
        content_negotiation_class=StreamNegotiation,
        filter_backends=[],
        pagination_class=None,
    )
    def events(self, request, pk=None):
        """The job's events as a `text/event-stream`, from the start or after `Last-Event-ID`;
        it ends with the job's `done` or `error` event."""
        job = self.get_object()
        after = self._last_event_id(request)
        asgi = isinstance(request._request, ASGIRequest)
        stream = async_event_stream(job.pk, after) if asgi else event_stream(job.pk, after)
        response = StreamingHttpResponse(stream, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
        return response

    @staticmethod
    def _last_event_id(request) -> int:
        for name, value in (
            ("Last-Event-ID", request.headers.get("Last-Event-ID")),
            ("last_event_id", request.query_params.get("last_event_id")),
        ):
            if value is None or value == "":
                continue
            if not value.isdigit() or len(value) > 18:
                raise ValidationError({name: ["An event id: a whole number."]})
            return int(value)
        return 0
