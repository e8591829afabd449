"""The authorization server's pages and documents: the consent page (DOT's authorization view
in admin's look, behind the Django login), RFC 8414 metadata, and RFC 7591 registration."""

import json
import math

from django.contrib import admin
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from oauth2_provider import views as oauth2_views
from rest_framework import throttling
from rest_framework.settings import api_settings

from mcp_server.oauth_registration import AUTH_METHODS, GRANT_TYPES, InvalidMetadata, client_register
from mcp_server.oauth_server import issuer
from mcp_server.scopes import SCOPES


class AuthorizationView(oauth2_views.AuthorizationView):
    """Asks the signed-in user whether the client may act for them (every time: no silent
    re-approval), showing what it asks for and where the answer goes."""

    template_name = "mcp_server/oauth_authorize.html"

    def render_to_response(self, context, **kwargs):
        context = {**admin.site.each_context(self.request), "is_nav_sidebar_enabled": False, **context}
        context["requested_scopes"] = [(name, SCOPES.get(name, "")) for name in context.get("scopes", [])]
        return super().render_to_response(context, **kwargs)


def _endpoint(request, name: str) -> str:
    return request.build_absolute_uri(reverse(f"oauth2_provider:{name}"))


@require_GET
def authorization_server_metadata(request):
    """RFC 8414: how a client registers, gets consent and tokens, and what it may ask for."""
    response = JsonResponse(
        {
            "issuer": issuer(request),
            "authorization_endpoint": _endpoint(request, "authorize"),
            "token_endpoint": _endpoint(request, "token"),
            "registration_endpoint": _endpoint(request, "register"),
            "revocation_endpoint": _endpoint(request, "revoke-token"),
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(GRANT_TYPES),
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "authorization_response_iss_parameter_supported": True,
        }
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


class RegistrationRateThrottle(throttling.SimpleRateThrottle):
    """Client registrations from one address (anyone may register: MCP clients do it themselves)."""

    scope = "oauth_registration"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _registration_error(status: int, error: str, description: str) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


@csrf_exempt  # no cookie is needed or used: an anonymous JSON API
@require_POST
def client_registration(request):
    """RFC 7591: POST the client's metadata as JSON; 201 with its client id."""
    throttle = RegistrationRateThrottle()
    if not throttle.allow_request(request, None):
        wait = math.ceil(throttle.wait() or 1)
        response = _registration_error(
            429, "too_many_requests", f"Too many registrations; try again in {wait} seconds."
        )
        response["Retry-After"] = str(wait)
        return response
    try:
        metadata = json.loads(request.body)
    except RequestDataTooBig:
        return _registration_error(413, "invalid_client_metadata", "The body is too large.")
    except (ValueError, RecursionError):
        return _registration_error(400, "invalid_client_metadata", "The body must be JSON client metadata.")
    try:
        answer = client_register(metadata=metadata)
    except InvalidMetadata as exc:
        return _registration_error(400, exc.error, exc.description)
    response = JsonResponse(answer, status=201)
    response["Cache-Control"] = "no-store"
    return response
