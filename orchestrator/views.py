"""Django's error views, answering the API's JSON shape `{"detail": ...}` under /api/."""

import sys

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import Resolver404, resolve
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt

from core.exceptions import DATABASE_DOWN, DatabaseUnavailable
from core.middleware import is_api


def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    if is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception, template_name)


def page_not_found(request, exception, template_name=defaults.ERROR_404_TEMPLATE_NAME):
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """A database that is down (raised outside a view's own handling: a middleware, admin)
    is a 503 with Retry-After, not an error of ours."""
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        unavailable = DatabaseUnavailable()
        if is_api(request):
            response = JsonResponse({"detail": unavailable.detail}, status=503)
        else:
            response = HttpResponse(unavailable.detail, status=503, content_type="text/plain")
        response["Retry-After"] = str(unavailable.wait)
        return response
    if is_api(request):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return defaults.server_error(request, template_name)


def csrf_failure(request, reason=""):
    if is_api(request):
        return JsonResponse({"detail": f"CSRF check failed: {reason}"}, status=403)
    return csrf.csrf_failure(request, reason)


@csrf_exempt  # it changes nothing, whatever the method
def api_not_found(request, path):
    """Any /api/ path no route serves; hints at the trailing slash every route has."""
    detail = "Not found."
    if not request.path_info.endswith("/") and _served(f"{request.path_info}/"):
        detail = f"Not found. Did you mean {request.path_info}/ (with the trailing slash)?"
    return JsonResponse({"detail": detail}, status=404)


def _served(path: str) -> bool:
    try:
        return resolve(path).func is not api_not_found
    except Resolver404:
        return False


def favicon(request):
    """Browsers ask for /favicon.ico on every site; the icon is a static file (its name hashed
    in production, so found when asked for, not when the URLs load)."""
    return redirect(static("orchestrator/favicon.svg"), permanent=True)
