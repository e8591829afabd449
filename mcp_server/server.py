"""The MCP server: the official SDK's low-level `Server`, its handlers reading who calls from
`CALLER` (set by the transport: the HTTP view or the stdio command) and doing their work in
Django's sync world (`sync_to_async`, in the caller's thread where there is one, so a test's
transaction sees it)."""

import functools
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass

import mcp_types as types
from asgiref.sync import sync_to_async
from mcp.server import Server
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INTERNAL_ERROR

from core.exceptions import DATABASE_DOWN
from mcp_server import calls, resources

logger = logging.getLogger(__name__)


# The OAuth scopes, and what each allows. An API token has all of them.
@dataclass(frozen=True)
class Caller:
    """Who is calling: the user whose objects the tools see, the holder their claims are for
    (configured, or `<client>@<where>`: the username over HTTP, the machine over stdio),
    whether they asked for the extended tool set, and the scopes their credential carries
    (None: an API token, every scope)."""

    user: object
    holder: str = ""
    where: str = ""
    extended: bool = False
    scopes: frozenset | None = None
    user_agent: str = ""

    def client(self, ctx) -> str:
        """The client's name as it introduced itself (clientInfo), else its User-Agent's product."""
        params = ctx.session.client_params if ctx is not None else None
        name = params.client_info.name if params is not None and params.client_info is not None else ""
        name = name or self.user_agent.split("/")[0] or "mcp-client"
        return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-").lower()[:50] or "mcp-client"

    def holder_for(self, client: str) -> str:
        return self.holder or f"{client}@{self.where or self.user.get_username()}"[:100]

    def allows(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes


CALLER: ContextVar[Caller] = ContextVar("mcp_caller")

INSTRUCTIONS = (
    "Orchestrator's Kanban board. To work: next_task(project_id) -> claim_task -> get_task -> "
    "move_task in_progress -> do the work -> update_task with what you learnt -> move_task review "
    "-> complete_task when it is accepted. Read orchestrator://guide for the whole protocol."
)


async def list_tools(ctx, params):
    return types.ListToolsResult(tools=calls.tool_list(CALLER.get()))


async def call_tool(ctx, params):
    caller = CALLER.get()
    return await sync_to_async(calls.run_tool)(caller, caller.client(ctx), params.name, params.arguments)


DATABASE_UNAVAILABLE = "The database is unavailable; try again in a few seconds."
FAILED = "The server failed unexpectedly; its log has the details."


def in_django(work):
    """`work` run in Django's sync world; a failure of ours is an internal error that says
    nothing of the server's insides (a tool's failures are tool results, in `calls`)."""

    @functools.wraps(work)
    def answered(*args):
        try:
            return work(*args)
        except MCPError:
            raise
        except DATABASE_DOWN:
            logger.warning("MCP %s: the database is unavailable", work.__name__, exc_info=True)
            raise MCPError(INTERNAL_ERROR, DATABASE_UNAVAILABLE) from None
        except Exception:
            logger.exception("MCP %s failed", work.__name__)
            raise MCPError(INTERNAL_ERROR, FAILED) from None

    return sync_to_async(answered)


async def list_resources(ctx, params):
    cursor = params.cursor if params is not None else None
    return await in_django(resources.resource_list)(CALLER.get(), cursor)


async def list_resource_templates(ctx, params):
    return types.ListResourceTemplatesResult(resource_templates=resources.TEMPLATES)


async def read_resource(ctx, params):
    return await in_django(resources.resource_read)(CALLER.get(), str(params.uri))


async def list_prompts(ctx, params):
    cursor = params.cursor if params is not None else None
    return await in_django(resources.prompt_list)(CALLER.get(), cursor)


async def get_prompt(ctx, params):
    return await in_django(resources.prompt_get)(CALLER.get(), params.name, params.arguments or {})


def build_server() -> Server:
    return Server(
        "orchestrator",
        version="1.0",
        title="Orchestrator",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_resource_templates,
        on_read_resource=read_resource,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )


SERVER = build_server()
