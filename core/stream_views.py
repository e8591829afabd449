"""The HTTP side of event streams (`core.streams`): negotiation, `Last-Event-ID`, the
response, and how the schema describes them."""

from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation

from core.streams import EventStream


class StreamNegotiation(BaseContentNegotiation):
    """An events endpoint answers an event stream to any Accept (EventSource sends
    `text/event-stream`), and its errors in JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


STREAM_PARAMETERS = [
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
]


# One event of a stream, as an OpenAPI 3.0 document describes it under `text/event-stream`
# (the schema of each event, as schemathesis reads it): its id, its name, its data (JSON text).
ServerSentEventSerializer = inline_serializer(
    name="ServerSentEvent",
    fields={
        "id": serializers.CharField(help_text="The event's id: resume after it with Last-Event-ID."),
        "event": serializers.CharField(help_text="The event's name."),
        "data": serializers.CharField(help_text="A JSON object; its fields depend on the event."),
    },
)


def stream_responses(description: str) -> dict:
    """An event stream: each event an id, a name and JSON data."""
    return {(200, "text/event-stream"): OpenApiResponse(ServerSentEventSerializer, description=description)}


def last_event_id(request) -> int | None:
    """The event id a client resumes after (`Last-Event-ID`, or `?last_event_id=`), if any."""
    for name, value in (
        ("Last-Event-ID", request.headers.get("Last-Event-ID")),
        ("last_event_id", request.query_params.get("last_event_id")),
    ):
        if value is None or value == "":
            continue
        if not value.isdigit() or len(value) > 18:
            raise ValidationError({name: ["An event id: a whole number."]})
        return int(value)
    return None


def event_stream_response(request, stream: EventStream) -> StreamingHttpResponse:
    chunks = stream.asynchronous() if isinstance(request._request, ASGIRequest) else stream.sync()
    response = StreamingHttpResponse(chunks, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
