"""The MCP server as coding agents reach it: the official SDK's client (`mcp.Client`) against a
live gunicorn (WSGI) and a live uvicorn (ASGI) over Streamable HTTP, in the 2026 stateless
protocol and the older handshake one, and against `manage.py mcp` over stdio. Each discovers
the server, lists and calls every core tool, reads every kind of resource, gets a prompt, and
runs an agent's whole loop; the board and the history then read, through the REST API, as
they would had the agent used it."""

import json
import sys

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from core.testing import free_port, live_server, rest, server_command, sign_in
from mcp_server.tools import CORE_TOOLS
from orchestrator.tests.test_production import manage, migrated_with_a_superuser
from orchestrator.tests.test_settings import BASE_DIR

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    """A database of its own (SQLite in a file) with a user, shared by the servers below."""
    database = tmp_path_factory.mktemp("mcp") / "db.sqlite3"
    return migrated_with_a_superuser(f"sqlite:///{database}", PASSWORD)


@pytest.fixture(scope="module", params=["gunicorn", "uvicorn"])
def server(request, environment):
    port = free_port()
    command = server_command(request.param, port, threads=4)
    process, base = live_server(command, environment, port)
    yield base
    process.terminate()
    process.wait(timeout=10)


def a_board(base: str, token: str, name: str) -> dict:
    """A project with three tasks and a prompt labelled production, made through the REST API."""
    project = rest(base, token, "POST", "projects/", {"name": name})
    ids = {"project": project["id"]}
    for title, priority in (("Cart", "high"), ("Search", "low"), ("Checkout", "medium")):
        ids[title] = rest(
            base, token, "POST", "tasks/", {"project": project["id"], "title": title, "priority": priority}
        )["id"]
    prompt = rest(
        base,
        token,
        "POST",
        "prompts/",
        {"project": project["id"], "type": "feature", "content": "Build {{thing}}."},
    )
    rest(base, token, "POST", f"prompts/{prompt['id']}/labels/", {"label": "production"})
    ids["lineage"] = prompt["lineage"]
    return ids


async def agent_session(client: Client, ids: dict) -> dict:
    """What an agent does: discover, read everything, work one task from next to done."""
    seen = {"tools": [tool.name for tool in (await client.list_tools()).tools]}

    async def call(name, **arguments):
        result = await client.call_tool(name, arguments)
        assert not result.is_error, (name, result.content[0].text)
        assert json.loads(result.content[0].text) == result.structured_content
        return result.structured_content

    projects = await call("list_projects")
    seen["projects"] = [project["name"] for project in projects["projects"]]
    chosen = await call("next_task", project_id=ids["project"])
    task_id = chosen["task"]["id"]
    seen["next"] = chosen["task"]["title"]
    seen["claim"] = (await call("claim_task", task_id=task_id, ttl_seconds=600))["claim"]["holder"]
    seen["brief"] = (await call("get_task", task_id=task_id))["brief"]
    await call("move_task", task_id=task_id, status="in_progress")
    await call("update_task", task_id=task_id, details="Keep the cart in the session.")
    await call("move_task", task_id=task_id, status="review")
    seen["done"] = (await call("complete_task", task_id=task_id))["task"]["status"]
    seen["listed"] = [
        task["title"] for task in (await call("list_tasks", project_id=ids["project"]))["tasks"]
    ]
    await call("claim_task", task_id=ids["Search"])
    seen["released"] = (await call("release_task", task_id=ids["Search"]))["released"]
    seen["prompt"] = (
        await call("get_prompt", lineage=ids["lineage"], label="production", variables={"thing": "a shop"})
    )["text"]

    resources = (await client.list_resources()).resources
    seen["resources"] = sorted({str(resource.uri).split("/")[2] for resource in resources})
    for uri in (
        "orchestrator://guide",
        f"orchestrator://projects/{ids['project']}/board",
        f"orchestrator://tasks/{task_id}",
        f"orchestrator://prompts/{ids['lineage']}@production",
    ):
        text = (await client.read_resource(uri)).contents[0].text
        seen.setdefault("read", []).append(text.splitlines()[0])
    templates = (await client.list_resource_templates()).resource_templates
    seen["templates"] = [template.name for template in templates]
    prompts = (await client.list_prompts()).prompts
    mine = next(prompt for prompt in prompts if prompt.name.endswith(ids["lineage"].replace("-", "")[:8]))
    seen["prompt_arguments"] = [argument.name for argument in mine.arguments]
    got = await client.get_prompt(mine.name, {"thing": "a blog"})
    seen["got_prompt"] = got.messages[0].content.text
    return seen


def check(seen: dict, ids: dict, base: str, token: str, name: str):
    assert seen["tools"] == list(CORE_TOOLS)
    assert name in seen["projects"]
    assert (seen["next"], seen["done"]) == ("Cart", "done")
    assert seen["brief"].startswith("# Cart\n")
    assert seen["listed"] == ["Search", "Checkout", "Cart"]  # backlog in order, then done
    assert seen["released"] is True
    assert seen["prompt"] == "Build a shop."
    assert seen["resources"] == ["guide", "projects", "prompts", "tasks"]
    assert seen["read"] == ["# Working this board", f"# Board: {name}", "# Cart", "Build {{thing}}."]
    assert seen["templates"] == ["board", "task", "prompt"]
    assert (seen["prompt_arguments"], seen["got_prompt"]) == (["thing"], "Build a blog.")
    # As the REST API reads it afterwards.
    cart = rest(base, token, "GET", f"tasks/{ids['Cart']}/")
    assert (cart["status"], cart["details"], cart["claim"]) == ("done", "Keep the cart in the session.", None)
    history = rest(base, token, "GET", f"tasks/{ids['Cart']}/activity/")["results"]
    verbs = [(record["verb"], record["channel"]) for record in reversed(history)]
    assert verbs == [
        ("created", "api"),
        ("claimed", "mcp"),
        ("moved", "mcp"),
        ("changed", "mcp"),
        ("moved", "mcp"),
        ("moved", "mcp"),
        ("released", "mcp"),
    ]
    return seen["claim"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_an_agent_over_streamable_http(server, mode):
    token = sign_in(server, "ada", PASSWORD)
    name = f"Shop {mode} {server.rsplit(':', 1)[1]}"
    ids = a_board(server, token, name)

    async def run():
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            url = f"{server}/mcp/?holder=claude-code@laptop"
            async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
                return await agent_session(client, ids)

    seen = anyio.run(run)

    assert check(seen, ids, server, token, name) == "claude-code@laptop"


@pytest.mark.parametrize("server", ["gunicorn"], indirect=True)  # serves the REST API the test reads
def test_an_agent_over_stdio(environment, server):
    token = sign_in(server, "ada", PASSWORD)
    ids = a_board(server, token, "Shop stdio")
    parameters = StdioServerParameters(
        command=sys.executable,
        args=["manage.py", "mcp", "--user", "ada", "--holder", "local-agent@workstation"],
        cwd=str(BASE_DIR),
        env={key: value for key, value in environment.items() if key != "DJANGO_SUPERUSER_PASSWORD"},
    )

    async def run():
        async with Client(parameters) as client:
            return await agent_session(client, ids)

    seen = anyio.run(run)

    assert check(seen, ids, server, token, "Shop stdio") == "local-agent@workstation"


def test_stdio_refuses_an_unknown_user(environment):
    result = manage("mcp", "--user", "nobody", env=environment)

    assert result.returncode != 0
    assert "No user named 'nobody'." in result.stderr


def test_the_client_sees_an_unauthenticated_server_as_such(server):
    async def run():
        async with httpx2.AsyncClient(timeout=10) as http:
            response = await http.post(
                f"{server}/mcp/", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
            )
            return response.status_code, response.headers["www-authenticate"]

    status, challenge = anyio.run(run)

    assert status == 401
    assert challenge == f'Bearer resource_metadata="{server}/.well-known/oauth-protected-resource/mcp"'
