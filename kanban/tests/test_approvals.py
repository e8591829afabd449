"""Approval checkpoints: the project's policy holds on every interface (API, admin, the
board's move, the chat agent's tools, MCP), only a person approves, an edit of the approved
recommendation voids it, and each approval and void is in the history with who and when."""

import pytest
from django.urls import reverse

from activity.models import Activity
from aimodels.gateway import ToolCallRequest
from chat.models import ToolCall
from chat.tests.factories import ChatSessionFactory, MessageFactory
from chat.tools import AgentTools
from kanban import services
from kanban.models import Task, TaskApproval
from kanban.tests.factories import TaskFactory
from mcp_server.models import ToolCallRecord
from mcp_server.tests.conftest import MCP, token_for
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

RECOMMENDATION = {"solution": "Keep the cart in the session.", "primary_reason": "No client code."}
CHECKPOINT_PLAN = "Checkpoint: a person approves the recommended solution before work starts"


@pytest.fixture
def project(owner):
    return ProjectFactory(owner=owner, require_approval="plan")


@pytest.fixture
def task(project):
    return TaskFactory(project=project, title="Cart", status="todo", brief={"recommendation": RECOMMENDATION})


def approve(client, task, **body):
    return client.post(f"/api/v1/tasks/{task.pk}/approve/", body, format="json")


def by_the_agent(task, name: str, **arguments) -> ToolCall:
    """The chat agent calls tool `name` on `task` in a session of its own: the call's record."""
    session = ChatSessionFactory(task=task)
    request = ToolCallRequest("c1", name, {"task_id": str(task.pk), **arguments}, "")
    return AgentTools(session).run(request, message=MessageFactory(session=session))[0]


def status_of(task) -> str:
    return Task.objects.get(pk=task.pk).status


class TestThePlanCheckpoint:
    def test_a_task_does_not_start_before_its_plan_is_approved(self, owner_client, task):
        refused = owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "in_progress"})

        assert refused.status_code == 409
        assert refused.json()["checkpoint"] == "plan"
        assert refused.json()["detail"].startswith(CHECKPOINT_PLAN)
        assert status_of(task) == "todo"
        for status in ("review", "done"):
            assert owner_client.patch(f"/api/v1/tasks/{task.pk}/", {"status": status}).status_code == 409
        assert status_of(task) == "todo"

    def test_once_approved_it_starts(self, owner_client, owner, task):
        approved = approve(owner_client, task, comment="Go.")

        assert approved.status_code == 200
        assert approved.json()["checkpoint"] == {
            "required": "plan",
            "plan_approved": True,
            "result_approved": False,
        }
        moved = owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "in_progress"})
        assert moved.status_code == 200
        (record,) = Activity.objects.filter(verb="approved")
        assert (record.actor, record.channel, record.changes) == (
            owner,
            "api",
            {"checkpoint": "plan", "comment": "Go."},
        )
        approval = TaskApproval.objects.get()
        assert (approval.approved_by, approval.approved) == (owner, RECOMMENDATION)

    def test_a_task_cannot_be_made_already_started(self, owner_client, project):
        response = owner_client.post(
            "/api/v1/tasks/", {"project": str(project.pk), "title": "Rush", "status": "in_progress"}
        )

        assert response.status_code == 409
        assert response.json()["checkpoint"] == "plan"
        assert not Task.objects.filter(title="Rush").exists()

    def test_nothing_to_approve_without_a_recommendation(self, owner_client, project):
        bare = TaskFactory(project=project)

        response = approve(owner_client, bare)

        assert response.status_code == 409
        assert "write the brief's recommended solution first" in response.json()["detail"]

    def test_approving_again_changes_nothing(self, owner_client, task):
        approve(owner_client, task, checkpoint="plan")
        approve(owner_client, task, checkpoint="plan")

        assert TaskApproval.objects.count() == 1
        assert Activity.objects.filter(verb="approved").count() == 1

    def test_editing_the_approved_recommendation_voids_it(self, owner_client, owner, task):
        approve(owner_client, task)

        owner_client.patch(
            f"/api/v1/tasks/{task.pk}/",
            {"brief": {"recommendation": {"solution": "Local storage."}}},
            format="json",
        )

        assert not TaskApproval.objects.live().exists()
        (void,) = Activity.objects.filter(verb="approval_voided")
        assert (void.actor, void.changes["checkpoint"]) == (owner, "plan")
        assert (
            owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "in_progress"}).status_code == 409
        )

    def test_editing_other_parts_keeps_the_approval(self, owner_client, task):
        approve(owner_client, task)

        owner_client.patch(f"/api/v1/tasks/{task.pk}/", {"brief": {"summary": "Carts."}}, format="json")

        assert TaskApproval.objects.live().count() == 1

    def test_without_a_policy_nothing_waits(self, owner_client, task):
        task.project.require_approval = "off"
        task.project.save()

        assert (
            owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "in_progress"}).status_code == 200
        )

    def test_another_users_task_is_not_found(self, outsider_client, task):
        assert approve(outsider_client, task).status_code == 404
        assert not TaskApproval.objects.exists()

    def test_bad_input_names_the_field(self, owner_client, task):
        response = approve(owner_client, task, checkpoint="everything")

        assert response.status_code == 400 and "checkpoint" in response.json()
        assert approve(owner_client, task, comment="x" * 1001).json().keys() == {"comment"}


def test_next_task_offers_only_tasks_whose_plan_is_approved(owner_client, owner, project, task):
    project.require_approval = "plan"
    project.save()
    waiting = TaskFactory(project=project, title="Awaits approval", priority="urgent")
    Task.objects.filter(pk__in=[task.pk, waiting.pk]).update(brief={"recommendation": RECOMMENDATION})
    approve(owner_client, task)

    response = owner_client.get(f"/api/v1/projects/{project.pk}/next-task/")

    assert response.json()["task"]["id"] == str(task.pk)
    assert "whose plan is approved" in response.json()["reason"]
    TaskApproval.objects.all().delete()
    assert owner_client.get(f"/api/v1/projects/{project.pk}/next-task/").status_code == 204
    over_mcp = MCP(token_for(owner)).ok("next_task", {"project_id": str(project.pk)})
    assert over_mcp["task"] is None
    assert "2 task(s) not started wait for a person to approve their plan" in over_mcp["reason"]


class TestTheResultCheckpoint:
    @pytest.fixture
    def started(self, owner_client, project, task):
        project.require_approval = "plan_and_done"
        project.save()
        Task.objects.filter(pk=task.pk).update(
            brief={
                "recommendation": RECOMMENDATION,
                "acceptance_criteria": [{"text": "Reload keeps it", "done": False}],
            }
        )
        approve(owner_client, task)
        owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "review"})
        return task

    def test_done_needs_every_criterion_ticked_then_the_result_approved(self, owner_client, started):
        done = {"status": "done"}

        unticked = owner_client.post(f"/api/v1/tasks/{started.pk}/move/", done)
        assert (unticked.status_code, unticked.json()["checkpoint"], unticked.json()["criteria"]) == (
            409,
            "result",
            ["Reload keeps it"],
        )
        ticked = {"acceptance_criteria": [{"text": "Reload keeps it", "done": True}]}
        owner_client.patch(f"/api/v1/tasks/{started.pk}/", {"brief": ticked}, format="json")
        unapproved = owner_client.post(f"/api/v1/tasks/{started.pk}/move/", done)
        assert unapproved.status_code == 409 and "approves the result" in unapproved.json()["detail"]
        assert approve(owner_client, started).json()["checkpoint"]["result_approved"] is True
        assert owner_client.post(f"/api/v1/tasks/{started.pk}/move/", done).status_code == 200

    def test_a_result_is_approved_only_after_its_plan_and_once_work_started(
        self, owner_client, project, task
    ):
        project.require_approval = "plan_and_done"
        project.save()
        Task.objects.filter(pk=task.pk).update(brief={"recommendation": RECOMMENDATION})

        early = owner_client.post(
            f"/api/v1/tasks/{task.pk}/approve/", {"checkpoint": "result"}, format="json"
        )
        approve(owner_client, task)
        not_started = owner_client.post(
            f"/api/v1/tasks/{task.pk}/approve/", {"checkpoint": "result"}, format="json"
        )

        assert (early.status_code, not_started.status_code) == (409, 409)
        assert "plan is approved and the work has started" in early.json()["detail"]
        assert not task.approvals.filter(checkpoint="result").exists()

    def test_a_result_with_criteria_unticked_is_not_approved(self, owner_client, started):
        response = owner_client.post(
            f"/api/v1/tasks/{started.pk}/approve/", {"checkpoint": "result"}, format="json"
        )

        assert (response.status_code, response.json()["criteria"]) == (409, ["Reload keeps it"])
        assert not started.approvals.filter(checkpoint="result").exists()

    def test_a_done_task_keeps_what_was_approved_until_it_goes_back_to_work(self, owner_client, started):
        ticked = {"acceptance_criteria": [{"text": "Reload keeps it", "done": True}]}
        owner_client.patch(f"/api/v1/tasks/{started.pk}/", {"brief": ticked}, format="json")
        approve(owner_client, started)
        owner_client.post(f"/api/v1/tasks/{started.pk}/move/", {"status": "done"})

        replanned = owner_client.patch(
            f"/api/v1/tasks/{started.pk}/",
            {"brief": {"recommendation": {"solution": "Other."}}},
            format="json",
        )
        unticked = owner_client.patch(
            f"/api/v1/tasks/{started.pk}/",
            {"brief": {"acceptance_criteria": [{"text": "Reload keeps it", "done": False}]}},
            format="json",
        )
        noted = owner_client.patch(
            f"/api/v1/tasks/{started.pk}/", {"brief": {"next_steps": "Ship."}}, format="json"
        )
        reopened = owner_client.post(f"/api/v1/tasks/{started.pk}/move/", {"status": "in_progress"})

        assert (replanned.status_code, replanned.json()["checkpoint"]) == (409, "plan")
        assert (unticked.status_code, unticked.json()["checkpoint"]) == (409, "result")
        assert noted.status_code == 200
        assert reopened.json()["checkpoint"] == {
            "required": "plan_and_done",
            "plan_approved": True,
            "result_approved": False,
        }
        (voided,) = started.approvals.exclude(voided_at=None)
        assert (voided.checkpoint, voided.void_reason) == ("result", "The task went back to work.")

    @pytest.mark.parametrize(
        ("change", "voided"),
        [
            ({"acceptance_criteria": [{"text": "Reload keeps it", "done": False}]}, ["result"]),
            ({"acceptance_criteria": [{"text": "Something else", "done": True}]}, ["result"]),
            ({"recommendation": {"solution": "Another way."}}, ["plan", "result"]),
            ({"test_plan": "More tests."}, []),
        ],
        ids=["unticked", "other criteria", "another plan", "another part"],
    )
    def test_changing_what_was_approved_voids_the_result_approval(
        self, owner_client, started, change, voided
    ):
        ticked = {"acceptance_criteria": [{"text": "Reload keeps it", "done": True}]}
        owner_client.patch(f"/api/v1/tasks/{started.pk}/", {"brief": ticked}, format="json")
        approve(owner_client, started)

        owner_client.patch(f"/api/v1/tasks/{started.pk}/", {"brief": change}, format="json")

        assert (
            sorted(started.approvals.exclude(voided_at=None).values_list("checkpoint", flat=True)) == voided
        )
        refused = owner_client.post(f"/api/v1/tasks/{started.pk}/move/", {"status": "done"})
        assert refused.status_code == (409 if voided else 200)


class TestEveryInterface:
    def test_admin_status_change_and_move_action_hold_the_checkpoint(self, client, staff, task):
        Task.objects.filter(pk=task.pk).update(project=ProjectFactory(owner=staff, require_approval="plan"))
        client.force_login(staff)

        response = client.post(
            reverse("admin:kanban_task_changelist"),
            {"action": "move_to_in_progress", "_selected_action": [str(task.pk)]},
            follow=True,
        )

        assert CHECKPOINT_PLAN in response.content.decode()
        assert status_of(task) == "todo"

    def test_admin_change_form_holds_the_checkpoint(self, client, staff, task):
        Task.objects.filter(pk=task.pk).update(project=ProjectFactory(owner=staff, require_approval="plan"))
        client.force_login(staff)
        form = {
            "title": "Cart",
            "description": "",
            "details": "",
            "test_strategy": "",
            "status": "in_progress",
            "priority": "medium",
            "complexity": "",
            "prompt": "",
            "parent": "",
            "brief": '{"recommendation": {"solution": "Keep the cart in the session.",'
            ' "primary_reason": "No client code."}}',
            **{
                f"{inline}-{count}": "0"
                for inline in ("subtasks", "commits")
                for count in ("TOTAL_FORMS", "INITIAL_FORMS")
            },
        }

        refused = client.post(reverse("admin:kanban_task_change", args=[task.pk]), form)

        assert refused.status_code == 200 and CHECKPOINT_PLAN in refused.content.decode()
        assert status_of(task) == "todo"

    def test_admin_approves_with_its_action_and_shows_it_on_the_page(self, client, staff, task):
        Task.objects.filter(pk=task.pk).update(project=ProjectFactory(owner=staff, require_approval="plan"))
        client.force_login(staff)
        page = client.get(reverse("admin:kanban_task_change", args=[task.pk])).content.decode()
        assert "The recommended solution awaits approval." in page
        assert f'data-url="/api/v1/tasks/{task.pk}/approve/"' in page

        client.post(
            reverse("admin:kanban_task_changelist"),
            {"action": "approve_plan", "_selected_action": [str(task.pk)]},
        )

        (record,) = Activity.objects.filter(verb="approved")
        assert (record.actor, record.channel) == (staff, "admin")
        page = client.get(reverse("admin:kanban_task_change", args=[task.pk])).content.decode()
        assert "The recommended solution is approved." in page
        assert f"approved by {staff.username} on" in page

    def test_the_chat_agents_tools_hold_it_and_cannot_approve(self, task):
        moved = by_the_agent(task, "move_task", status="in_progress")
        approved = by_the_agent(task, "approve_task")

        assert moved.status == ToolCall.Status.ERROR and CHECKPOINT_PLAN in moved.result["error"]
        assert approved.status == ToolCall.Status.ERROR
        assert (
            approved.result["error"]
            == "Approval is a person's: ask the task's owner to approve it in admin or the API."
        )
        assert not TaskApproval.objects.exists() and status_of(task) == "todo"

    def test_mcp_holds_it_and_cannot_approve(self, owner, task):
        agent = MCP(token_for(owner), path="/mcp/?tools=extended")

        moved = agent.refused("move_task", {"task_id": str(task.pk), "status": "in_progress"})
        approved = agent.refused("approve_task", {"task_id": str(task.pk)})

        assert moved.startswith(CHECKPOINT_PLAN)
        assert approved.startswith("Approval is a person's")
        assert not TaskApproval.objects.exists() and status_of(task) == "todo"
        assert ToolCallRecord.objects.get(tool="approve_task").is_error is True

    def test_admin_result_action_and_done_hold_the_result_checkpoint(self, client, staff, task):
        project = ProjectFactory(owner=staff, require_approval="plan_and_done")
        criteria = [{"text": "A reload keeps the cart", "done": False}]
        Task.objects.filter(pk=task.pk).update(
            project=project, brief={"recommendation": RECOMMENDATION, "acceptance_criteria": criteria}
        )
        services.task_approve(task=Task.objects.get(pk=task.pk), user=staff, checkpoint="plan")
        services.task_move(task=Task.objects.get(pk=task.pk), status="in_progress")
        client.force_login(staff)
        changelist = reverse("admin:kanban_task_changelist")

        unticked = client.post(
            changelist, {"action": "approve_result", "_selected_action": [str(task.pk)]}, follow=True
        )
        early = client.post(
            changelist, {"action": "move_to_done", "_selected_action": [str(task.pk)]}, follow=True
        )
        Task.objects.filter(pk=task.pk).update(
            brief={"recommendation": RECOMMENDATION, "acceptance_criteria": [{**criteria[0], "done": True}]}
        )
        client.post(changelist, {"action": "approve_result", "_selected_action": [str(task.pk)]})
        client.post(changelist, {"action": "move_to_done", "_selected_action": [str(task.pk)]})

        assert "acceptance criteria" in unticked.content.decode().lower()
        assert "Stopped:" in early.content.decode()
        assert TaskApproval.objects.live().get(checkpoint="result").approved_by == staff
        assert status_of(task) == "done"

    @pytest.fixture
    def started(self, owner, project, task):
        """Under plan_and_done, approved and at work, with one criterion left to tick."""
        project.require_approval = "plan_and_done"
        project.save()
        criteria = [{"text": "A reload keeps the cart", "done": False}]
        Task.objects.filter(pk=task.pk).update(
            brief={"recommendation": RECOMMENDATION, "acceptance_criteria": criteria}
        )
        services.task_approve(task=Task.objects.get(pk=task.pk), user=owner, checkpoint="plan")
        services.task_move(task=Task.objects.get(pk=task.pk), status="in_progress")
        return Task.objects.get(pk=task.pk)

    def test_the_chat_agent_cannot_finish_past_the_result_checkpoint(self, started):
        done = by_the_agent(started, "move_task", status="done")

        assert done.status == ToolCall.Status.ERROR and "acceptance criteri" in done.result["error"].lower()
        assert status_of(started) == "in_progress"

    def test_mcp_complete_and_move_hold_the_result_checkpoint(self, owner, owner_client, started):
        agent = MCP(token_for(owner))

        completed = agent.refused("complete_task", {"task_id": str(started.pk)})
        moved = agent.refused("move_task", {"task_id": str(started.pk), "status": "done"})
        agent.ok(
            "update_task",
            {
                "task_id": str(started.pk),
                "brief": {"acceptance_criteria": [{"text": "A reload keeps the cart", "done": True}]},
            },
        )
        unapproved = agent.refused("complete_task", {"task_id": str(started.pk)})
        assert approve(owner_client, started).status_code == 200  # the person approves the result
        agent.ok("complete_task", {"task_id": str(started.pk)})

        assert "acceptance criteri" in completed.lower() and "acceptance criteri" in moved.lower()
        assert "result" in unapproved.lower()
        assert status_of(started) == "done"

    def test_the_board_shows_the_checkpoint_state(self, owner_client, task):
        board = owner_client.get(f"/api/v1/projects/{task.project_id}/board/").json()

        (card,) = board["columns"][1]["tasks"]
        assert card["checkpoint"] == {"required": "plan", "plan_approved": False, "result_approved": False}
        approve(owner_client, task)
        (card,) = owner_client.get(f"/api/v1/projects/{task.project_id}/board/").json()["columns"][1]["tasks"]
        assert card["checkpoint"]["plan_approved"] is True


class TestWhatAnApprovalCovers:
    def test_approving_again_without_a_checkpoint_changes_nothing(self, owner_client, task):
        first = approve(owner_client, task).json()

        again = approve(owner_client, task)

        assert again.status_code == 200 and again.json() == first
        assert task.approvals.count() == 1

    def test_a_result_approved_in_progress_is_lost_when_the_task_goes_back(self, owner_client, project, task):
        project.require_approval = "plan_and_done"
        project.save()
        approve(owner_client, task)
        owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "in_progress"})
        approve(owner_client, task)  # the result: no criteria to tick

        owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "backlog"})
        owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "in_progress"})
        done = owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "done"})

        assert (done.status_code, done.json()["checkpoint"]) == (409, "result")

    def test_under_plan_a_done_task_keeps_its_plan_but_its_criteria_may_change(self, owner_client, task):
        approve(owner_client, task)
        owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "done"})

        ticked = owner_client.patch(
            f"/api/v1/tasks/{task.pk}/",
            {"brief": {"acceptance_criteria": [{"text": "Reloads", "done": True}]}},
            format="json",
        )
        replanned = owner_client.patch(
            f"/api/v1/tasks/{task.pk}/", {"brief": {"recommendation": {"solution": "Other."}}}, format="json"
        )
        reopened_and_replanned = owner_client.patch(
            f"/api/v1/tasks/{task.pk}/",
            {"status": "in_progress", "brief": {"recommendation": {"solution": "Other."}}},
            format="json",
        )

        assert ticked.status_code == 200
        assert (replanned.status_code, replanned.json()["checkpoint"]) == (409, "plan")
        assert reopened_and_replanned.status_code == 409  # reopened, it needs the new plan approved
        assert "approves the recommended solution" in reopened_and_replanned.json()["detail"]
        assert status_of(task) == "done"  # nothing half-written

    def test_blanks_in_a_stored_brief_are_no_change_to_what_was_approved(self, owner, task):
        Task.objects.filter(pk=task.pk).update(brief={"recommendation": {**RECOMMENDATION, "risks": ""}})
        task.refresh_from_db()
        services.task_approve(task=task, user=owner)

        services.task_update(
            task=task,
            whole_brief=True,
            brief={
                "recommendation": {**RECOMMENDATION, "solution": RECOMMENDATION["solution"] + "  "},
                "goal": "A cart.",
            },
        )

        assert TaskApproval.objects.live().filter(task=task, checkpoint="plan").exists()
