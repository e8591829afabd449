"""API errors: the exceptions the services raise, their one-line text, and the handler that
answers them in the one error shape."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.shortcuts import redirect
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    """The request is valid but the object's state refuses it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the object."
    default_code = "conflict"


def refusal_message(exc: exceptions.APIException) -> str:
    """An API refusal as one line of text: its `detail` (a conflict may carry more fields)."""
    detail = exc.detail
    if isinstance(detail, dict) and "detail" in detail:
        return str(detail["detail"])
    return one_line(detail)


def one_line(detail) -> str:
    """An error's detail (a message, a list of them, a dict by field, nested as a serializer
    nests them) as one line a person or a model can act on: `title: This field is required.;
    tasks: [2] priority: "soon" is not a valid choice.`"""
    if isinstance(detail, dict):
        return "; ".join(f"{name}: {one_line(value)}" for name, value in detail.items())
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return " ".join(detail)
        return " ".join(f"[{n}] {one_line(item)}" for n, item in enumerate(detail) if item)
    return str(detail)


def refusal_of(exc: Exception) -> str | None:
    """What a caller that is not an HTTP client (an agent, an MCP client) is told when a
    serializer or a service refuses: a 400's fields, a rule of a model (a cycle, another
    project), a 409's detail, as one line; None for any other exception (a defect)."""
    if isinstance(exc, exceptions.ValidationError):
        return one_line(exc.detail)
    if isinstance(exc, DjangoValidationError):
        return one_line(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, exceptions.APIException):  # a WIP limit, a blocked task
        return refusal_message(exc)
    return None


def error_code(exc: exceptions.APIException) -> str:
    """The code of an API exception: its own, or its class's when its detail holds several."""
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


class DatabaseUnavailable(exceptions.APIException):
    """The database could not be reached, or dropped the connection (a restart, a failover):
    nothing was answered from it; try again shortly."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; try again in a few seconds."
    default_code = "database_unavailable"
    wait = 2  # seconds: DRF sends it as Retry-After


# What the database driver raises when the server is gone (connection lost, shut down, the
# pool exhausted): never the request's fault.
DATABASE_DOWN = (OperationalError, InterfaceError)


class CacheUnavailable(exceptions.APIException):
    """The shared cache (Redis) could not be reached: what needed it was not checked."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The cache is unavailable; try again in a few seconds."
    default_code = "cache_unavailable"
    wait = 2


# What the cache client raises when Redis is gone (the cache Django's Redis backend uses).
CACHE_DOWN = (RedisConnectionError, RedisTimeoutError)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def exception_handler(exc, context):
    """DRF's handler, plus: model validation errors become 400s, a database that is down a
    503 with Retry-After (the cache too), and the browsable API sends anonymous visitors to the login page."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, RequestDataTooBig):  # a body without Content-Length, read past the limit
        exc = PayloadTooLarge()
    if isinstance(exc, DATABASE_DOWN):
        logger.warning("Database unavailable: %s", exc)
        exc = DatabaseUnavailable()
    if isinstance(exc, CACHE_DOWN):
        logger.warning("Cache unavailable: %s", exc)
        exc = CacheUnavailable()
    request = context.get("request")
    if (
        isinstance(exc, exceptions.NotAuthenticated)
        and request is not None
        and getattr(request, "accepted_renderer", None) is not None
        and request.accepted_renderer.format == "api"
    ):
        return redirect(f"{reverse('rest_framework:login')}?next={request.get_full_path()}")
    return drf_exception_handler(exc, context)
