"""`/mcp/`: the MCP server over Streamable HTTP, stateless (any web process answers any
request; nothing is kept between requests), as a thin Django view around the official SDK's
stateless handling: the request is checked here (Origin, the bearer credential, the scope a
tool call needs), then handed to the SDK as one ASGI exchange whose answer becomes the
response. Sync (WSGI) and async (ASGI) servers run the same view."""

import json
import logging
from urllib.parse import urlsplit

import anyio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from mcp_server.auth import Unauthorized, authenticate, resource_url
from mcp_server.scopes import PROMPTS_SCOPE, SCOPES

# The MCP SDK (and the HTTP client it brings) is imported by the first request, in the
# functions below: a process starts without it (aimodels/tests/test_lazy_sdks.py).

logger = logging.getLogger(__name__)

METADATA_PATH = "/.well-known/oauth-protected-resource/mcp"


def _jsonrpc_error(status: int, code: int, message: str, **headers) -> JsonResponse:
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _origin_refused(request) -> bool:
    """A browser page of another origin must not drive the server (DNS rebinding): an Origin,
    when sent, is this server's own or one of MCP_ALLOWED_ORIGINS. Host is checked by Django
    (ALLOWED_HOSTS) when the request is read."""
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    if origin in settings.MCP_ALLOWED_ORIGINS:
        return False
    try:
        return urlsplit(origin).netloc.lower() != request.get_host().lower()
    except ValueError:  # "http://[": no origin of ours
        return True


def _challenge(request, exc: Unauthorized) -> HttpResponse:
    parts = [f'resource_metadata="{request.build_absolute_uri(METADATA_PATH)}"']
    if exc.error:
        parts.insert(0, f'error="{exc.error}", error_description="{exc.description}"')
    if exc.scope:
        parts.append(f'scope="{exc.scope}"')
    body = {"error": exc.error or "unauthorized", "error_description": exc.description}
    response = JsonResponse(body, status=exc.status)
    response["WWW-Authenticate"] = "Bearer " + ", ".join(parts)
    return response


def _message(body: bytes):
    """The JSON-RPC message, or None when the body is not JSON (the SDK answers a parse error)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _needed_scope(message) -> str | None:
    """The scope the request needs (an OAuth token must carry it): a tool call's, a resource
    read's, or prompts:read for the prompts. Listing resources needs none: the list leaves out
    what the token may not read."""
    if not isinstance(message, dict):
        return None
    from mcp_server import calls, resources

    method, params = message.get("method"), message.get("params")
    params = params if isinstance(params, dict) else {}
    if method == "tools/call":
        name = params.get("name")
        return calls.scope_of(name) if isinstance(name, str) else None
    if method == "resources/read":
        uri = params.get("uri")
        return resources.scope_of(uri) if isinstance(uri, str) else None
    if method in ("prompts/list", "prompts/get"):
        return PROMPTS_SCOPE
    return None


def _caller(request, user, scopes):
    from mcp_server.server import Caller

    holder = request.GET.get("holder", "") or request.headers.get("X-Orchestrator-Holder", "")
    return Caller(
        user=user,
        holder=holder.strip()[:100],
        extended=request.GET.get("tools") == "extended" or request.headers.get("X-MCP-Tools") == "extended",
        scopes=scopes,
        user_agent=request.headers.get("User-Agent", ""),
    )


@csrf_exempt
async def mcp_endpoint(request):
    if _origin_refused(request):
        return _jsonrpc_error(403, -32600, "Origin not allowed.")
    if request.method != "POST":  # no server-sent stream and no sessions to delete: stateless
        return _jsonrpc_error(405, -32600, "Method not allowed: POST JSON-RPC messages.", Allow="POST")
    try:
        body = request.body
    except RequestDataTooBig:
        return _jsonrpc_error(413, -32600, "The request body is too large.")
    message = _message(body)
    if isinstance(message, list):  # batching left JSON-RPC over MCP in 2025-06-18
        return _jsonrpc_error(400, -32600, "Invalid request: send one JSON-RPC message, not a batch.")
    if (
        isinstance(message, dict)
        and not isinstance(message.get("method"), str)
        and not message.keys() & {"result", "error"}
    ):
        return _jsonrpc_error(400, -32600, "Invalid request: a JSON-RPC request names its method.")
    try:
        user, scopes = await sync_to_async(authenticate)(request)
        needed = _needed_scope(message)
        if scopes is not None and not scopes & set(SCOPES):
            raise Unauthorized(
                403, "insufficient_scope", "The token has no scope of this server.", " ".join(SCOPES)
            )
        if scopes is not None and needed is not None and needed not in scopes:
            raise Unauthorized(403, "insufficient_scope", f"The tool needs the scope {needed}.", needed)
    except Unauthorized as exc:
        return _challenge(request, exc)
    from mcp_server.server import CALLER

    token = CALLER.set(_caller(request, user, scopes))
    try:
        status, headers, content = await _exchange(request, body)
    finally:
        CALLER.reset(token)
    response = HttpResponse(content, status=status)
    for name, value in headers:
        if name.lower() not in ("content-length", "connection", "transfer-encoding"):
            response[name] = value
    return response


def _scope(request) -> dict:
    host, _, port = request.get_host().partition(":")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.path.encode(),
        "query_string": request.META.get("QUERY_STRING", "").encode(),
        "root_path": "",
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1", "replace"))
            for name, value in request.headers.items()
        ],
        "server": (host, int(port) if port.isdigit() else (443 if request.is_secure() else 80)),
        "client": (request.META.get("REMOTE_ADDR", ""), 0),
    }


async def _exchange(request, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run the request through the SDK's stateless handling, as one ASGI exchange: a session
    manager per request, so nothing outlives it."""
    answered = anyio.Event()
    status, headers, content = 500, [], bytearray()
    delivered = False

    async def receive():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in message.get("headers", [])
            ]
        elif message["type"] == "http.response.body":
            content.extend(message.get("body", b""))
            if not message.get("more_body", False):
                answered.set()

    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    from mcp_server.server import SERVER

    manager = StreamableHTTPSessionManager(app=SERVER, stateless=True, json_response=True)
    async with manager.run():
        await manager.handle_request(_scope(request), receive, send)
    return status, headers, bytes(content)


def protected_resource_metadata(request):
    """RFC 9728: where a client learns how to get a token for `/mcp/`."""
    return JsonResponse(
        {
            "resource": resource_url(request),
            "authorization_servers": [request.build_absolute_uri("/").rstrip("/")],
            "scopes_supported": list(SCOPES),
            "bearer_methods_supported": ["header"],
            "resource_name": "Orchestrator",
            "resource_documentation": request.build_absolute_uri("/"),
        }
    )
