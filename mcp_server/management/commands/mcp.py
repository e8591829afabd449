import socket

import anyio
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from mcp.server.stdio import stdio_server

from mcp_server.server import CALLER, SERVER, Caller


class Command(BaseCommand):
    help = (
        "Serve the MCP server over stdio for a local coding agent, as USER (the same tools, "
        "resources and prompts as /mcp/). stdout is the protocol's: logs go to stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The username whose projects the agent works on.")
        parser.add_argument(
            "--holder",
            default="",
            help="Who the agent's claims are for (default: <client>@<this machine's name>).",
        )
        parser.add_argument("--tools", choices=["core", "extended"], default="core", help="The tool set.")

    def handle(self, *args, user, holder, tools, **options):
        try:
            account = get_user_model().objects.get_by_natural_key(user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {user!r}.") from None
        if not account.is_active:
            raise CommandError(f"The user {user!r} is inactive.")
        CALLER.set(
            Caller(
                user=account,
                holder=holder,
                where=socket.gethostname(),
                extended=tools == "extended",
                user_agent="stdio",
            )
        )
        anyio.run(serve)


async def serve():
    async with stdio_server() as (read, write):
        await SERVER.run(read, write, SERVER.create_initialization_options())
