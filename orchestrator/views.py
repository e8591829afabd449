"""Django's error views, answering the API's JSON shape `{"detail": ...}` under /api/."""

from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt

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
