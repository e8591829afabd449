"""The task agent, end to end through the real SDKs and local servers."""

import pytest

from aimodels.tests.factories import SystemSettingsFactory
from aimodels.tests.fake_providers import USAGE
from chat.models import ChatSession, Message, ToolCall
from chat.tests.factories import ChatSessionFactory
from conftest import ai_model_on, job_error, job_result
from core.testing import refused_before_calling
from kanban.models import Task
from kanban.tests.factories import TaskFactory


@pytest.fixture
def session(owner):
    return ChatSessionFactory(task__project__owner=owner, task__title="Plan the shop")


def send(client, session, content="Add a checkout task and start it", **extra):
    return client.post(f"/api/v1/chat-sessions/{session.pk}/messages/", {"content": content, **extra})


@pytest.mark.django_db
class TestAgent:
    def test_creates_and_moves_a_task_with_every_call_audited(self, owner_client, session, provider_server):
        ai_model_on(provider_server, name="agent", usage_type="task_execution")
        provider_server.reply(
            "Creating it.", tool_calls=[{"name": "create_task", "arguments": {"title": "Checkout"}}]
        )
        provider_server.reply(tool_calls=[{"name": "list_tasks", "arguments": {"status": "backlog"}}])
        provider_server.reply("Done: Checkout is created.")

        response = send(owner_client, session)

        messages = job_result(response, "messages")
        checkout = Task.objects.get(title="Checkout")
        assert checkout.project_id == session.task.project_id
        roles = [(m["role"], m["content"], [c["tool_name"] for c in m["tool_calls"]]) for m in messages]
        assert roles == [
            ("user", "Add a checkout task and start it", []),
            ("assistant", "Creating it.", ["create_task"]),
            ("assistant", "", ["list_tasks"]),
            ("assistant", "Done: Checkout is created.", []),
        ]
        create = messages[1]["tool_calls"][0]
        assert (create["status"], create["arguments"]) == ("success", {"title": "Checkout"})
        assert create["result"]["task"]["id"] == str(checkout.pk)
        assert create["duration_ms"] >= 0
        listing = messages[2]["tool_calls"][0]["result"]["tasks"]
        assert [task["title"] for task in listing] == ["Plan the shop", "Checkout"]
        assert messages[1]["usage"] == USAGE
        assert ChatSession.objects.get().ai_model_used == "agent"
        # The tool result went back to the model with the call's id.
        third = provider_server.requests[2]["messages"]
        if provider_server.protocol == "openai":
            assert third[2]["tool_calls"][0]["id"] == third[3]["tool_call_id"]
        else:
            assert third[1]["content"][-1]["id"] == third[2]["content"][0]["tool_use_id"]

    def test_moves_and_completes_tasks(self, owner_client, session, openai_server):
        ai_model_on(openai_server)
        task_id = str(session.task.pk)
        openai_server.reply(
            tool_calls=[
                {
                    "name": "move_task",
                    "arguments": {"task_id": task_id, "status": "in_progress", "position": 0},
                },
                {"name": "update_task", "arguments": {"task_id": task_id, "description": "In hand"}},
            ]
        )
        openai_server.reply(tool_calls=[{"name": "complete_task", "arguments": {"task_id": task_id}}])
        openai_server.reply("All done.")

        response = send(owner_client, session, "Do it all")

        job_result(response, "messages")
        task = Task.objects.get(pk=task_id)
        assert (task.status, task.description) == ("done", "In hand")
        assert list(ToolCall.objects.values_list("tool_name", "status")) == [
            ("move_task", "success"),
            ("update_task", "success"),
            ("complete_task", "success"),
        ]

    def test_another_users_task_is_refused_and_the_error_goes_back(
        self, owner_client, session, openai_server
    ):
        ai_model_on(openai_server)
        foreign = TaskFactory(title="Not yours")
        openai_server.reply(tool_calls=[{"name": "complete_task", "arguments": {"task_id": str(foreign.pk)}}])
        openai_server.reply("I cannot touch that task.")

        response = send(owner_client, session, "Finish the other project's task")

        job_result(response, "messages")
        call = ToolCall.objects.get()
        assert (call.status, call.result) == (
            "error",
            {"error": f"Task {foreign.pk} is not on this project's board."},
        )
        foreign.refresh_from_db()
        assert foreign.status == "backlog"
        assert openai_server.requests[1]["messages"][-1] == {
            "role": "tool",
            "tool_call_id": call.call_id,
            "content": f'{{"error": "Task {foreign.pk} is not on this project\'s board."}}',
        }

    @pytest.mark.parametrize(
        ("call", "error"),
        [
            ({"name": "create_task", "arguments": {"title": ""}}, "title: This field may not be blank."),
            (
                {"name": "create_task", "arguments": {"title": "x", "project": "elsewhere"}},
                "Unexpected argument(s) project; create_task takes title, description,",
            ),
            ({"name": "create_task", "arguments": {}}, "Missing argument(s) title for create_task."),
            (
                {"name": "move_task", "arguments": {"task_id": "nope", "status": "done"}},
                "Task nope is not on this project's board.",
            ),
            ({"name": "list_tasks", "arguments": {"status": "doing"}}, "Unknown status 'doing'"),
            ({"name": "create_task", "arguments": "{not json"}, "The arguments must be a JSON object."),
            ({"name": "delete_everything", "arguments": {}}, "Unknown tool 'delete_everything'"),
        ],
    )
    def test_bad_arguments_are_not_executed(self, owner_client, session, openai_server, call, error):
        ai_model_on(openai_server)
        openai_server.reply(tool_calls=[call])
        openai_server.reply("Sorry.")

        send(owner_client, session)

        recorded = ToolCall.objects.get()
        assert recorded.status == "error"
        assert recorded.result["error"].startswith(error)
        assert Task.objects.count() == 1

    def test_a_wip_limit_is_an_error_for_the_model(self, owner_client, session, openai_server):
        ai_model_on(openai_server)
        SystemSettingsFactory(key="kanban.wip_limits", value={"done": 1})
        TaskFactory(project=session.task.project, status="done")
        openai_server.reply(
            tool_calls=[{"name": "complete_task", "arguments": {"task_id": str(session.task.pk)}}]
        )
        openai_server.reply("The done column is full.")

        send(owner_client, session)

        assert ToolCall.objects.get().result == {
            "error": "Column 'done' is at its WIP limit of 1; finish or move a task first."
        }

    def test_the_loop_is_bounded_and_ends_with_a_summary_in_words(self, owner_client, session, openai_server):
        ai_model_on(openai_server)
        SystemSettingsFactory(key="ai.max_tool_iterations", value=2)
        for status in ("backlog", "todo"):
            openai_server.reply(tool_calls=[{"name": "list_tasks", "arguments": {"status": status}}])
        openai_server.reply("Both columns are empty.")

        response = send(owner_client, session)

        body = job_result(response, "messages")
        assert [r.get("tool_choice") for r in openai_server.requests] == ["auto", "auto", "none"]
        assert [m["role"] for m in body] == ["user", "assistant", "assistant", "system", "assistant"]
        assert body[3]["content"].startswith("Stopped after 2 model calls")
        assert body[4]["content"] == "Both columns are empty."

    def test_a_repeated_identical_call_is_not_run_again_and_ends_the_loop(
        self, owner_client, session, openai_server
    ):
        ai_model_on(openai_server)
        create = {"name": "create_task", "arguments": {"title": "Checkout"}}
        openai_server.reply(tool_calls=[create])
        openai_server.reply(tool_calls=[create])
        openai_server.reply("I created the Checkout task.")

        response = send(owner_client, session)

        assert Task.objects.filter(title="Checkout").count() == 1
        assert list(ToolCall.objects.values_list("status", "result")) == [
            ("success", ToolCall.objects.first().result),
            (
                "error",
                {"error": "Not run again: this turn already made the same call with the same arguments."},
            ),
        ]
        messages = job_result(response, "messages")
        assert [m["role"] for m in messages] == [
            "user",
            "assistant",
            "assistant",
            "system",
            "assistant",
        ]
        assert messages[-1]["content"] == "I created the Checkout task."
        assert openai_server.requests[-1]["tool_choice"] == "none"

    @pytest.mark.parametrize(("finish", "truncated"), [(None, False), ("length", True)])
    def test_each_reply_keeps_its_finish_reason(
        self, owner_client, session, provider_server, finish, truncated
    ):
        ai_model_on(provider_server)
        provider_server.reply("An answer", finish=finish)

        reply = job_result(send(owner_client, session), "messages")[-1]

        assert (reply["finish_reason"], reply["truncated"]) == (finish or "stop", truncated)

    @pytest.mark.parametrize("status", ["completed", "failed"])
    def test_a_closed_session_answers_409(self, owner_client, owner, openai_server, status):
        ai_model_on(openai_server)
        session = ChatSessionFactory(task__project__owner=owner, status=status)

        response = send(owner_client, session)

        refused_before_calling(response, openai_server)
        assert not Message.objects.exists()

    def test_a_provider_failure_keeps_what_was_done(self, owner_client, session, anthropic_server):
        ai_model_on(anthropic_server)
        anthropic_server.reply(tool_calls=[{"name": "create_task", "arguments": {"title": "Checkout"}}])
        anthropic_server.reply(status=500)

        response = send(owner_client, session)

        assert job_error(response)["http_status"] == 502
        assert list(Message.objects.values_list("role", flat=True)) == ["user", "assistant"]
        assert Task.objects.filter(title="Checkout").exists()
        assert ToolCall.objects.get().status == "success"

    def test_another_users_session_is_not_found(self, outsider_client, session, openai_server):
        ai_model_on(openai_server)

        response = send(outsider_client, session)

        assert response.status_code == 404
        assert not Message.objects.exists()
