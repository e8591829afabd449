"""The agent's planning tools, end to end through the real SDK and a local server: the same
services and rules as the API, destructive tools only where the session allows them."""

import pytest

from chat.models import ToolCall
from chat.tests.factories import ChatSessionFactory
from conftest import ai_model_on, job_result
from kanban import services
from kanban.models import Task, TaskDependency
from kanban.tests.factories import TaskFactory


@pytest.fixture
def session(owner):
    return ChatSessionFactory(task__project__owner=owner, task__title="Plan the shop")


def run_tools(client, session, server, *calls):
    """The model makes `calls` one turn each, then answers in words; the recorded calls."""
    ai_model_on(server)
    for call in calls:
        server.reply(tool_calls=[call])
    server.reply("Done.")
    response = client.post(f"/api/v1/chat-sessions/{session.pk}/messages/", {"content": "Plan it"})
    job_result(response, "messages")
    return list(ToolCall.objects.order_by("created_at"))


def call(name, **arguments):
    return {"name": name, "arguments": arguments}


@pytest.mark.django_db
class TestPlanningTools:
    def test_dependencies_get_task_and_next_task(self, owner_client, session, openai_server):
        first = session.task
        second = TaskFactory(project=first.project, title="Pay", priority="high")

        add, get, next_, remove = run_tools(
            owner_client,
            session,
            openai_server,
            call("add_dependency", task_id=str(second.pk), depends_on_id=str(first.pk)),
            call("get_task", task_id=str(second.pk)),
            call("next_task"),
            call("remove_dependency", task_id=str(second.pk), depends_on_id=str(first.pk)),
        )

        assert [c.status for c in (add, get, next_, remove)] == ["success"] * 4
        assert add.result["task"]["dependencies"] == [str(first.pk)]
        assert get.result["task"]["blocked"] is True
        assert next_.result["task"]["id"] == str(first.pk)  # "Pay" waits for it
        assert next_.result["reason"].startswith("Priority medium")
        assert remove.result["task"]["dependencies"] == []
        assert not TaskDependency.objects.exists()

    def test_a_cycle_and_a_blocked_start_are_refused_through_the_same_rules(
        self, owner_client, session, openai_server
    ):
        first = session.task
        second = TaskFactory(project=first.project)
        services.dependency_add(task=second, depends_on=first)

        cycle, start = run_tools(
            owner_client,
            session,
            openai_server,
            call("add_dependency", task_id=str(first.pk), depends_on_id=str(second.pk)),
            call("move_task", task_id=str(second.pk), status="in_progress"),
        )

        assert cycle.status == start.status == "error"
        assert "cycle" in cycle.result["error"]
        assert start.result["error"] == "Blocked: waits for 'Plan the shop', not done yet."
        assert Task.objects.get(pk=second.pk).status == "backlog"
        assert TaskDependency.objects.count() == 1

    def test_delete_is_refused_and_audited_unless_the_session_allows_it(
        self, owner_client, session, openai_server
    ):
        doomed = TaskFactory(project=session.task.project, title="Doomed")

        (refused,) = run_tools(
            owner_client, session, openai_server, call("delete_task", task_id=str(doomed.pk))
        )

        assert refused.status == "error"
        assert "allow_destructive" in refused.result["error"]
        assert Task.objects.filter(pk=doomed.pk).exists()

    def test_delete_runs_where_the_session_allows_it(self, owner_client, session, openai_server):
        session.allow_destructive = True
        session.save()
        doomed = TaskFactory(project=session.task.project)
        waiting = TaskFactory(project=session.task.project)
        services.dependency_add(task=waiting, depends_on=doomed)

        (deleted,) = run_tools(
            owner_client, session, openai_server, call("delete_task", task_id=str(doomed.pk))
        )

        assert deleted.status == "success"
        assert deleted.result == {
            "deleted": [str(doomed.pk)],
            "dependencies_removed": [{"task": str(waiting.pk), "depends_on": str(doomed.pk)}],
        }
        assert not Task.objects.filter(pk=doomed.pk).exists()

    def test_another_projects_task_is_not_reachable(self, owner_client, session, openai_server):
        session.allow_destructive = True
        session.save()
        foreign = TaskFactory(title="Not yours")

        refused = run_tools(
            owner_client,
            session,
            openai_server,
            call("get_task", task_id=str(foreign.pk)),
            call("delete_task", task_id=str(foreign.pk)),
            call("add_dependency", task_id=str(session.task.pk), depends_on_id=str(foreign.pk)),
        )

        assert [c.status for c in refused] == ["error"] * 3
        assert Task.objects.filter(pk=foreign.pk).exists()
        assert not TaskDependency.objects.exists()

    def test_the_session_flag_is_set_through_the_api(self, owner_client, session):
        response = owner_client.patch(f"/api/v1/chat-sessions/{session.pk}/", {"allow_destructive": True})

        assert (response.status_code, response.json()["allow_destructive"]) == (200, True)
