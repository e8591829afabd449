"""Tool calls over MCP: which tools a caller is offered, and one call run and recorded.

A call's arguments are checked against the tool's schema before anything runs; its work is
one transaction, recorded in the activity history as made by the caller's user through the
channel `mcp` (with the client, holder and tool); a refusal is a tool result with `isError`
and a sentence the agent can act on, never a protocol error. Every call, refused or not, is
a ToolCallRecord."""

import json
import logging
import time

import mcp_types as types
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from jsonschema import Draft202012Validator
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_PARAMS
from rest_framework.exceptions import APIException

from core.exceptions import DATABASE_DOWN, refusal_of
from core.history import acting
from core.tools import ToolArgumentError
from mcp_server.models import ToolCallRecord
from mcp_server.scopes import COMMITS_SCOPE, PROMPTS_SCOPE, READ_SCOPE, WRITE_SCOPE
from mcp_server.tools import CORE_TOOLS, EXTENDED_TOOLS, BoardTools, ToolRefused

logger = logging.getLogger(__name__)

# The scope a tool needs from an OAuth token (an API token has every scope).
# Strings kept in a ToolCallRecord's arguments: longer ones are shortened.
RECORDED_CHARS = 500


def scope_of(name: str) -> str:
    if name == "get_prompt":
        return PROMPTS_SCOPE
    if name == "record_commit":
        return COMMITS_SCOPE
    declared = BoardTools.tools.get(name)
    return READ_SCOPE if declared is not None and declared.read_only else WRITE_SCOPE


def offered(caller) -> tuple[str, ...]:
    return (*CORE_TOOLS, *EXTENDED_TOOLS) if caller.extended else CORE_TOOLS


def tool_list(caller) -> list[types.Tool]:
    return [_described(BoardTools.tools[name]) for name in offered(caller)]


def _described(declared) -> types.Tool:
    return types.Tool(
        name=declared.name,
        description=declared.description,
        input_schema=declared.parameters,
        annotations=types.ToolAnnotations(
            read_only_hint=declared.read_only,
            destructive_hint=declared.destructive,
            idempotent_hint=declared.idempotent or declared.read_only,
            open_world_hint=False,
        ),
    )


def _argument_problem(declared, arguments) -> str | None:
    """What is wrong with the arguments for the tool's schema, naming the argument; None if
    they fit."""
    if not isinstance(arguments, dict):
        return "The arguments must be a JSON object."
    for name, value in arguments.items():
        if isinstance(value, str) and "\x00" in value:
            return f"{name}: Null characters are not allowed."
    error = next(Draft202012Validator(declared.parameters).iter_errors(arguments), None)
    if error is None:
        return None
    where = ".".join(str(part) for part in error.absolute_path)
    message = error.message if len(error.message) <= 300 else f"{error.message[:300]}…"
    return f"{where}: {message}" if where else message


def run_tool(caller, client: str, name: str, arguments) -> types.CallToolResult:
    if name not in offered(caller):
        more = "" if caller.extended else " (the extended set, ?tools=extended, has more)"
        raise MCPError(
            INVALID_PARAMS, f"Unknown tool {name[:100]!r}; the tools are {', '.join(offered(caller))}{more}."
        )
    declared = BoardTools.tools[name]
    holder = caller.holder_for(client)
    arguments = {} if arguments is None else arguments
    started = time.monotonic()
    result, error = None, ""
    try:
        if not caller.allows(scope_of(name)):
            raise ToolRefused(f"{name} needs the scope {scope_of(name)}, which this token does not have.")
        problem = _argument_problem(declared, arguments)
        if problem is not None:
            raise ToolRefused(problem)
        via = {"client": client, "holder": holder, "tool": name}
        with transaction.atomic(), acting(channel="mcp", user=caller.user, via=via):
            result = BoardTools(user=caller.user, holder=holder).call(name, arguments)
    except (ToolRefused, ToolArgumentError) as exc:
        error = str(exc)
    except (DjangoValidationError, APIException) as exc:
        error = refusal_of(exc)
    except DATABASE_DOWN:
        logger.warning("MCP tool %s: the database is unavailable", name, exc_info=True)
        return _answer(None, "The database is unavailable; try again in a few seconds.")
    except Exception:
        logger.exception("MCP tool %s failed", name)
        error = "The tool failed unexpectedly; the server's log has the details."
    ToolCallRecord.objects.create(
        user=caller.user,
        client=client,
        holder=holder,
        tool=name,
        arguments=_recorded(arguments),
        is_error=bool(error),
        error=error,
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    return _answer(result, error)


def _answer(result, error: str) -> types.CallToolResult:
    if error:
        return types.CallToolResult(content=[types.TextContent(type="text", text=error)], is_error=True)
    structured = json.loads(json.dumps(result, cls=DjangoJSONEncoder))
    text = json.dumps(structured, ensure_ascii=False)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], structured_content=structured
    )


def _recorded(value):
    """The arguments as stored: long strings shortened, NUL (which PostgreSQL's JSON refuses) replaced."""
    if isinstance(value, dict):
        return {str(key)[:RECORDED_CHARS]: _recorded(item) for key, item in list(value.items())[:50]}
    if isinstance(value, list):
        return [_recorded(item) for item in value[:50]]
    if isinstance(value, str):
        value = value.replace("\x00", "\ufffd")
        return value if len(value) <= RECORDED_CHARS else f"{value[:RECORDED_CHARS]}…"
    return value
