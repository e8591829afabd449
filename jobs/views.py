import re

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.schema import ErrorSerializer, NoBody
from core.stream_views import (
    STREAM_PARAMETERS,
    StreamNegotiation,
    event_stream_response,
    last_event_id,
    stream_responses,
)
from core.streams import BATCH, Event, EventStream
from core.throttling import AIActionRateThrottle
from jobs import services
from jobs.filters import JobFilter
from jobs.models import Job, JobEvent
from jobs.serializers import JobSerializer

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


FROM_THE_ACTION = object()


def ai_action(request_serializer=FROM_THE_ACTION, *, description: str = ""):
    """The schema of an AI action: it answers a job (200 finished, 202 still running). Its body
    is `request_serializer` (None: no body), by default the action's own `serializer_class`,
    which is also the form the browsable API shows."""

    def decorate(function):
        body = request_serializer
        if body is FROM_THE_ACTION:
            body = getattr(function, "kwargs", {}).get("serializer_class")
        return _ai_action_schema(body, description)(function)

    return decorate


def ai_viewset_action(
    serializer_class, *, request=FROM_THE_ACTION, detail=True, methods=("post",), **options
):
    """A viewset's AI action: DRF's `@action` (POST by default) with the AI actions' throttle,
    its body `serializer_class` (`request`: what the schema says instead, None for no body),
    answering a job (`ai_action`). `options` are `@action`'s others (url_path...)."""

    def decorate(function):
        routed = action(
            detail=detail,
            methods=list(methods),
            throttle_classes=[AIActionRateThrottle],
            serializer_class=serializer_class,
            **options,
        )(function)
        return ai_action(request)(routed)

    return decorate


def _ai_action_schema(request_serializer, description: str):
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


def job_stream(job_id, after: int) -> EventStream:
    """The job's events after `after`, then new ones as they are written, until its final
    `done` or `error` (or streams.MAX_SECONDS, after which the client reconnects)."""

    def fetch(since: int) -> list[Event]:
        return [
            Event(event.pk, event.type, event.data, final=event.type in JobEvent.FINAL)
            for event in services.job_events(job_id=job_id, after=since, limit=BATCH)
        ]

    def over() -> bool:
        return Job.objects.filter(pk=job_id, status__in=Job.FINISHED).exists()

    return EventStream(channel=f"job:{job_id}", fetch=fetch, after=after, over=over)


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
    @action(detail=True, methods=["post"], serializer_class=NoBody)
    def cancel(self, request, pk=None):
        """Cancel a queued or running job; what it was about to record is not written."""
        return Response(JobSerializer(services.job_cancel(job=self.get_object())).data)

    @extend_schema(
        parameters=STREAM_PARAMETERS,
        responses=stream_responses(
            "Server-sent events, each with an `id:`: `status`, `token` (text as the model writes it), "
            "`tool_call`, `tool_result`, then a final `done` or `error`; each `data:` a JSON object."
        ),
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
        return event_stream_response(request, job_stream(job.pk, last_event_id(request) or 0))
