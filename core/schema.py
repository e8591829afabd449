"""OpenAPI generation: drf-spectacular plus the error responses every operation can give."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
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


class NoBody(serializers.Serializer):
    """The form of an action that takes no body (the browsable API shows just its button)."""


class AutoSchema(openapi.AutoSchema):
    """Documents 400/401/403/404 (and 413 for bodies, 429 where throttled, 503 when the
    database is unavailable) next to each operation's own responses.

    Only GETs are paginated and filtered here: a POST that answers several objects (a chat
    turn, a bulk write) answers a plain array, and takes no list parameters.
    """

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and "security" not in operation:
            operation["security"] = []  # said outright: this operation takes no credentials
        return operation

    def get_operation_id(self):
        """`tasks_move`, `projects_board`, `auth_token`: an action path with one method needs no
        method word; collections and details keep drf-spectacular's (`tasks_list`, `tasks_create`)."""
        operation_id = super().get_operation_id()
        segments = self.path.removeprefix("/api/v1/").strip("/").split("/")
        if len(segments) > 1 and not segments[-1].startswith("{") and len(self._methods_of_this_path()) == 1:
            operation_id = operation_id.removesuffix("_create").removesuffix("_retrieve")
        return operation_id

    def _methods_of_this_path(self) -> list[str]:
        action = getattr(self.view, getattr(self.view, "action", None) or "", None)
        if hasattr(action, "mapping"):  # a viewset's @action: the methods it maps
            return list(action.mapping)
        return [method for method in self.view.allowed_methods if method not in ("OPTIONS", "HEAD")]

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
        if self.method in ("POST", "PUT", "PATCH"):  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE
            errors["413"] = ErrorSerializer
        if self.view.get_throttles():
            errors["429"] = ErrorSerializer
        errors["503"] = ErrorSerializer  # the database is unavailable (with Retry-After)
        for code, serializer in errors.items():
            responses.setdefault(code, self._get_response_for_code(serializer, code, direction=direction))
        return responses


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.tokens.TokenAuthentication"
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
    _link_jobs(paths)
    return result


JOB = {"$ref": "#/components/schemas/Job"}


def _link_jobs(paths) -> None:
    """An AI action's job (200 or 202) links to the job's own operations."""
    links = {
        operation["operationId"]: {
            "operationId": operation["operationId"],
            "parameters": {"id": "$response.body#/id"},
        }
        for path, operations in paths.items()
        if path.startswith("/api/v1/jobs/{id}/")
        for operation in operations.values()
    }
    for operations in paths.values():
        for operation in operations.values():
            for code in ("200", "202"):
                response = operation.get("responses", {}).get(code, {})
                if response.get("content", {}).get("application/json", {}).get("schema") == JOB:
                    response["links"] = links


def event_streams_are_text(result, generator, request, public):
    """A postprocessing hook: an event stream's body is text, and each of its events an object
    (id, event, data). The schema says both (`anyOf`): clients generated from it read the
    text, and schemathesis checks each event against the object."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("responses", {}).get("200", {}).get("content", {})
            if "text/event-stream" in content:
                event = content["text/event-stream"]["schema"]
                content["text/event-stream"]["schema"] = {"anyOf": [{"type": "string"}, event]}
    return result


BLANK_STRING = {"type": "string", "maxLength": 0}


def blank_strings_any_of(result, generator, request, public):
    """A postprocessing hook: drf-spectacular documents a blank-allowed string with a format
    as `oneOf: [<format>, <empty string>]`, and validators that accept "" for the format
    (e.g. `uri`) then find "" valid under both, which oneOf forbids. `anyOf` says what is meant."""
    stack = [result]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if BLANK_STRING in node.get("oneOf", ()):
                node["anyOf"] = node.pop("oneOf")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return result


def nullable_objects_inline(result, generator, request, public):
    """A postprocessing hook: drf-spectacular documents a nullable nested serializer as
    `{allOf: [<ref>], nullable: true}`, under which validators still check null against the
    referenced object and refuse it (OpenAPI 3.0 has no nullable reference). The referenced
    component is written in place instead, with `nullable` beside its `type`."""
    components = result.get("components", {}).get("schemas", {})
    stack = [result]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            refs = node.get("allOf", ())
            if node.get("nullable") and len(refs) == 1 and "$ref" in refs[0]:
                node.pop("allOf")
                node.update({**components[refs[0]["$ref"].rsplit("/", 1)[1]], **node})
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return result


def writes_may_answer(errors: dict, serializer, *, create: bool = False):
    """The schema of a viewset whose updates (and with `create`, creations) may also answer
    `errors` ({status: response}) besides `serializer`'s object."""
    actions = {"update": 200, "partial_update": 200, **({"create": 201} if create else {})}
    return extend_schema_view(
        **{name: extend_schema(responses={code: serializer, **errors}) for name, code in actions.items()}
    )
