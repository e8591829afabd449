"""A Python client generated from /api/schema/ by openapi-python-client, imported as it is
generated, runs the whole flow against a live server."""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ai_model_on, api_schema
from kanban.models import Task
from projects.tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated package `orchestrator_client`, importable."""
    where = tmp_path_factory.mktemp("client")
    schema = where / "schema.json"
    schema.write_text(json.dumps(api_schema()))
    tools = Path(sys.executable).parent  # its post-generation hooks run ruff from here
    result = subprocess.run(
        [tools / "openapi-python-client", "generate", "--path", schema, "--meta", "none"]
        + ["--output-path", where / "orchestrator_client"],
        env={**os.environ, "PATH": f"{tools}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(where))
    yield importlib.import_module("orchestrator_client")
    sys.path.remove(str(where))


def test_the_generated_client_runs_the_whole_flow(generated, live_server, openai_server, request, settings):
    from orchestrator_client import AuthenticatedClient, Client
    from orchestrator_client.api.auth import auth_token
    from orchestrator_client.api.chat_sessions import chat_sessions_create, chat_sessions_messages_create
    from orchestrator_client.api.commits import commits_create
    from orchestrator_client.api.jobs import jobs_events, jobs_list, jobs_retrieve
    from orchestrator_client.api.projects import (
        projects_analyze_complexity,
        projects_board,
        projects_create,
        projects_events,
    )
    from orchestrator_client.api.prompts import (
        prompts_create,
        prompts_diff,
        prompts_plan,
        prompts_render,
        prompts_restore,
        prompts_versions_create,
    )
    from orchestrator_client.api.settings import settings_bulk
    from orchestrator_client.api.tasks import tasks_create, tasks_expand, tasks_move
    from orchestrator_client.models import (
        AIActionRequest,
        AuthTokenRequest,
        ChatMessageCreateRequest,
        ChatSessionRequest,
        CommitRequest,
        JobsListKind,
        JobStatusEnum,
        ProjectRequest,
        PromptRenderRequest,
        PromptRenderRequestVariables,
        PromptRequest,
        PromptVersionRequest,
        SettingItemRequest,
        SettingsBulkRequest,
        TaskExpandRequest,
        TaskMoveRequest,
        TaskRequest,
        TaskStatusEnum,
    )

    UserFactory(username="dev", password=PASSWORD, is_staff=True)
    ai_model_on(openai_server, name="agent", usage_type="task_execution")
    anonymous = Client(base_url=live_server.url, raise_on_unexpected_status=True)
    # Closed with the test, not at exit: an open keep-alive outliving the live server's
    # database sharing fails in its request thread.
    request.addfinalizer(lambda: anonymous.get_httpx_client().close())

    token = auth_token.sync(client=anonymous, body=AuthTokenRequest(username="dev", password=PASSWORD))
    api = AuthenticatedClient(
        base_url=live_server.url, token=token.token, prefix="Token", raise_on_unexpected_status=True
    )
    request.addfinalizer(lambda: api.get_httpx_client().close())

    project = projects_create.sync(client=api, body=ProjectRequest(name="Shop"))
    cart = tasks_create.sync(client=api, body=TaskRequest(project=project.id, title="Cart"))
    checkout = tasks_create.sync(client=api, body=TaskRequest(project=project.id, title="Checkout"))
    moved = tasks_move.sync(
        checkout.id, client=api, body=TaskMoveRequest(status=TaskStatusEnum.TODO, position=0)
    )
    board = projects_board.sync(project.id, client=api)
    assert moved.status == TaskStatusEnum.TODO
    assert [(column.status, [t.title for t in column.tasks]) for column in board.columns][:2] == [
        ("backlog", ["Cart"]),
        ("todo", ["Checkout"]),
    ]

    first = prompts_create.sync(
        client=api, body=PromptRequest(project=project.id, content="Build {{thing}}.\n")
    )
    second = prompts_versions_create.sync(
        first.id, client=api, body=PromptVersionRequest(content="Build {{thing}} fast.\n")
    )
    diff = prompts_diff.sync(first.id, client=api, other=second.id)
    restored = prompts_restore.sync(first.id, client=api)
    variables = PromptRenderRequestVariables.from_dict({"thing": "a shop"})
    rendered = prompts_render.sync(second.id, client=api, body=PromptRenderRequest(variables=variables))
    assert (second.version, restored.version) == (2, 3)
    assert "-Build {{thing}}.\n+Build {{thing}} fast.\n" in diff.diff
    assert rendered.content == "Build a shop fast.\n"

    commit = commits_create.sync(
        client=api, body=CommitRequest(task=cart.id, message="feat(cart)!: add the cart")
    )
    assert (commit.type_, commit.scope, commit.breaking) == ("feat", "cart", True)

    limits = SettingItemRequest(key="kanban.wip_limits", value={"review": 3})
    stored = settings_bulk.sync(client=api, body=SettingsBulkRequest(settings=[limits]))
    assert [(setting.key, setting.value) for setting in stored] == [("kanban.wip_limits", {"review": 3})]

    session = chat_sessions_create.sync(client=api, body=ChatSessionRequest(task=cart.id))
    openai_server.reply(
        tool_calls=[{"name": "move_task", "arguments": {"task_id": str(cart.id), "status": "review"}}]
    )
    openai_server.reply("Moved the cart task to review.")
    body = ChatMessageCreateRequest(content="Move the cart task to review.")
    sent = chat_sessions_messages_create.sync_detailed(
        session.id, client=api, body=body, prefer="wait=10", idempotency_key="move-cart-1"
    )
    job = sent.parsed
    assert (sent.status_code, sent.headers["Location"]) == (200, f"/api/v1/jobs/{job.id}/")
    assert job.status == JobStatusEnum.SUCCEEDED
    again = chat_sessions_messages_create.sync(
        session.id, client=api, body=body, idempotency_key="move-cart-1"
    )
    assert again.id == job.id and len(openai_server.requests) == 2  # the same job, no second turn
    assert [j.id for j in jobs_list.sync(client=api, kind=JobsListKind.CHAT_MESSAGE).results] == [job.id]
    added = jobs_retrieve.sync(job.id, client=api).result.messages
    assert [message.role for message in added] == ["user", "assistant", "assistant"]
    assert added[1].tool_calls[0].tool_name == "move_task"
    assert added[-1].content == "Moved the cart task to review."
    assert Task.objects.get(pk=cart.id).status == "review"

    # The job's events: the text of the stream, which the client reads as it is.
    events = jobs_events.sync_detailed(job.id, client=api)
    assert events.status_code == 200 and isinstance(events.parsed, str)
    assert "event: tool_call" in events.parsed and events.parsed.rstrip().endswith('"succeeded"}')

    # A plan's result is typed: the tasks it created.
    ai_model_on(openai_server, name="planner", usage_type="task_planning")
    task = {"id": 1, "title": "Pay", "priority": "high", "complexity": 3}
    openai_server.reply(tool_calls=[{"name": "submit_plan", "arguments": {"tasks": [task]}}])
    planned = prompts_plan.sync(second.id, client=api, body=AIActionRequest())
    assert [t.title for t in planned.result.created] == ["Pay"] and planned.result.kept == []
    (pay,) = planned.result.created

    # So are an expansion's (the subtasks written) and a complexity analysis's (the scores).
    subtask = {"id": 1, "title": "Card form", "priority": "medium", "complexity": 2}
    openai_server.reply(tool_calls=[{"name": "submit_subtasks", "arguments": {"tasks": [subtask]}}])
    expanded = tasks_expand.sync(pay.id, client=api, body=TaskExpandRequest(count=1))
    assert [(t.title, t.parent) for t in expanded.result.created] == [("Card form", pay.id)]
    open_tasks = Task.objects.exclude(status="done").order_by("title")
    scores = [
        {
            "task_id": str(task.pk),
            "complexity": 7 if task.title == "Pay" else 2,
            "reason": "Sized.",
            "expand": task.title == "Pay",
        }
        for task in open_tasks
    ]
    openai_server.reply(tool_calls=[{"name": "submit_complexity", "arguments": {"tasks": scores}}])
    analyzed = projects_analyze_complexity.sync(project.id, client=api, body=AIActionRequest())
    by_title = {row.title: row for row in analyzed.result.tasks}
    assert set(by_title) == {task.title for task in open_tasks}
    assert (by_title["Pay"].complexity, by_title["Pay"].expand) == (7, True)
    assert analyzed.result.recommended == [pay.id]

    # The project's events: its activity as a stream of text, resumed from the first record.
    settings.STREAM_MAX_SECONDS = 1  # the stream ends after a second of waiting for more
    stream = projects_events.sync_detailed(project.id, client=api, last_event_id_query=0)
    assert stream.status_code == 200 and isinstance(stream.parsed, str)
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    assert "event: task.created" in stream.parsed and "event: task.moved" in stream.parsed
    assert "Card form" in stream.parsed  # the expansion's subtask, recorded
