"""Agents racing for the same work over MCP, on PostgreSQL with real threads and row locks."""

import pytest

from core.testing import postgres_only, run_in_threads
from kanban.models import TaskClaim
from kanban.tests.factories import TaskFactory
from mcp_server.calls import run_tool
from mcp_server.models import ToolCallRecord
from mcp_server.server import Caller
from projects.tests.factories import ProjectFactory, UserFactory

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]


def test_of_twenty_agents_claiming_one_task_exactly_one_holds_it():
    user = UserFactory()
    task = TaskFactory(project=ProjectFactory(owner=user))

    def agent(n):
        return lambda: run_tool(
            Caller(user=user, holder=f"agent-{n}@ci"), "claude-code", "claim_task", {"task_id": str(task.pk)}
        )

    results = run_in_threads([agent(n) for n in range(20)])

    won = [result for result in results if not result.is_error]
    lost = [result for result in results if result.is_error]
    assert len(won) == 1 and len(lost) == 19, results
    holder = won[0].structured_content["claim"]["holder"]
    assert TaskClaim.objects.get(task=task).holder == holder
    for result in lost:
        assert result.content[0].text.startswith(f"Claimed by {holder} until ")
    assert ToolCallRecord.objects.filter(tool="claim_task").count() == 20


def test_agents_asking_for_work_at_once_each_take_a_different_task():
    user = UserFactory()
    project = ProjectFactory(owner=user)
    TaskFactory.create_batch(5, project=project)

    def agent(n):
        caller = Caller(user=user, holder=f"agent-{n}@ci")

        def work():
            # What the guide tells an agent: next, then claim; a lost race means asking again.
            for _ in range(10):
                chosen = run_tool(caller, "claude-code", "next_task", {"project_id": str(project.pk)})
                task = chosen.structured_content["task"]
                if task is None:
                    return None
                claimed = run_tool(caller, "claude-code", "claim_task", {"task_id": task["id"]})
                if not claimed.is_error:
                    return task["id"]
            return "gave up"

        return work

    taken = run_in_threads([agent(n) for n in range(5)])

    assert "gave up" not in taken
    assert sorted(taken) == sorted(str(pk) for pk in project.tasks.values_list("pk", flat=True))
    assert TaskClaim.objects.count() == 5
