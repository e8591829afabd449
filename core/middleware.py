"""What runs around every request: refusals made before a view runs (for /api/), and who is acting."""

from django.conf import settings
from django.http import JsonResponse

from core.context import request_scope
from core.history import acting
from core.text import is_storable

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


class APIRequestGuardMiddleware:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413; NUL or a lone surrogate in the path
    is a 404 (no object is named so) and in a query parameter a 400 naming the parameter."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api(request):
            refusal = self.refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def refusal(request) -> JsonResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return JsonResponse({"detail": f"The request body is larger than {limit} bytes."}, status=413)
        if not is_storable(request.path_info):
            return JsonResponse({"detail": "Not found."}, status=404)
        for name, values in request.GET.lists():
            if not all(map(is_storable, [name, *values])):
                field = name if is_storable(name) else "non_field_errors"
                return JsonResponse(
                    {field: ["Must not contain NUL characters or lone surrogates."]}, status=400
                )
        return None


class RequestContextMiddleware:
    """Changes made while serving a request are recorded as the request's user's, through
    `admin` under /admin/ and `api` elsewhere; and what the request reads once is kept for
    it (`core.context`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "admin" if request.path_info.startswith("/admin/") else "api"
        with acting(channel=channel, request=request), request_scope():
            return self.get_response(request)
