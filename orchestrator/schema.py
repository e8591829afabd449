"""OpenAPI generation: drf-spectacular plus the error responses every operation can give."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error", fields={"detail": serializers.CharField(help_text="What went wrong.")}
)
ValidationErrorSerializer = inline_serializer(
    name="ValidationError",
    fields={
        "non_field_errors": serializers.ListField(
            child=serializers.CharField(), required=False, help_text="Errors about the whole body."
        ),
    },
)


class AutoSchema(openapi.AutoSchema):
    """Documents 400/401/403/404 next to each operation's own responses.

    Only GETs are paginated and filtered here: a POST that answers several objects (a chat
    turn, a bulk write) answers a plain array, and takes no list parameters.
    """

    def _get_paginator(self):
        return super()._get_paginator() if self.method == "GET" else None

    def _get_filter_parameters(self):
        return super()._get_filter_parameters() if self.method == "GET" else []

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = {"401": ErrorSerializer, "403": ErrorSerializer}
        paginated = self._is_list_view() and self._get_paginator() is not None
        queried = self._get_filter_parameters() or self.get_override_parameters()
        if self.method in ("POST", "PUT", "PATCH") or queried or paginated:
            errors["400"] = ValidationErrorSerializer
        if self.path.count("{") or self.method == "POST" or paginated:  # a page past the end: 404
            errors["404"] = ErrorSerializer
        for code, serializer in errors.items():
            responses.setdefault(code, self._get_response_for_code(serializer, code, direction=direction))
        return responses


# What an AI action may answer besides its own result.
AI_ERRORS = {409: ErrorSerializer, 502: ErrorSerializer, 504: ErrorSerializer}


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "orchestrator.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")


def link_created_objects(result, generator, request, public):
    """A postprocessing hook: every create (201 of `POST /api/v1/<resource>/`) links to the
    operations on the object it made (`/api/v1/<resource>/{id}/...`), so clients and
    stateful testers can follow a new object's id (or a setting's key)."""
    paths = result.get("paths", {})
    for path, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        if created is None or "{" in path:
            continue
        links = {}
        for other, other_operations in paths.items():
            if not other.startswith(path + "{"):
                continue
            parameter = other[len(path) + 1 : other.index("}")]
            for operation in other_operations.values():
                links[operation["operationId"]] = {
                    "operationId": operation["operationId"],
                    "parameters": {parameter: f"$response.body#/{parameter}"},
                }
        if links:
            created["links"] = links
    return result
