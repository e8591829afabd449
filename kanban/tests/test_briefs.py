"""A task's brief: the template's parts as validated data, written part by part through the
API, admin and agent tools, read as the template's document (Markdown, or JSON), exported to
files."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from aimodels.gateway import ToolCallRequest
from chat.models import ToolCall
from chat.tests.factories import ChatSessionFactory, MessageFactory
from chat.tools import AgentTools
from kanban.markdown import task_markdown
from kanban.models import Task, TaskApproval
from kanban.tests.factories import BRIEF, TaskFactory
from mcp_server.tests.conftest import MCP, token_for
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

SECTIONS = [
    "## Metadata",
    "## Task summary",
    "## Strategic analysis",
    "## Approval checkpoint",
    "## Project analysis and current state",
    "## Implementation plan",
    "## Acceptance criteria",
    "## Test plan",
    "## Status and next steps",
    "## Deliverables",
]


@pytest.fixture
def task(owner):
    return TaskFactory(
        project=ProjectFactory(owner=owner, name="Shop", require_approval="plan"), title="Cart"
    )


def patch(client, task, brief):
    return client.patch(f"/api/v1/tasks/{task.pk}/", {"brief": brief}, format="json")


class TestWriting:
    def test_the_whole_brief_is_stored_and_answered(self, owner_client, task):
        response = patch(owner_client, task, BRIEF)

        assert response.status_code == 200, response.json()
        assert response.json()["brief"] == BRIEF
        assert Task.objects.get(pk=task.pk).brief == BRIEF

    def test_blank_text_and_empty_parts_are_left_out(self, owner_client, task):
        patch(owner_client, task, BRIEF)

        response = patch(
            owner_client,
            task,
            {
                "summary": "",
                "recommendation": {**BRIEF["recommendation"], "risks": "", "secondary_reason": "  "},
                "metadata": {"owner": "", "related_issues": []},
            },
        )

        brief = response.json()["brief"]
        assert "summary" not in brief and "metadata" not in brief
        assert brief["recommendation"] == {
            key: value
            for key, value in BRIEF["recommendation"].items()
            if key not in ("risks", "secondary_reason")
        }

    def test_a_part_written_null_is_cleared(self, owner_client, task):
        patch(owner_client, task, BRIEF)

        response = patch(owner_client, task, {"recommendation": None, "steps": None})
        unknown = patch(owner_client, task, {"surprise": None})

        assert response.json()["brief"] == {
            name: value for name, value in BRIEF.items() if name not in ("recommendation", "steps")
        }
        assert unknown.status_code == 400 and "surprise" in unknown.json()["brief"]

    def test_a_write_changes_the_parts_it_names_and_keeps_the_rest(self, owner_client, task):
        patch(owner_client, task, BRIEF)
        ticked = [{"text": "A reload keeps the cart", "done": True}]

        response = patch(owner_client, task, {"acceptance_criteria": ticked})

        assert response.json()["brief"] == {**BRIEF, "acceptance_criteria": ticked}

    @pytest.mark.parametrize(
        "brief, where",
        [
            ({"summary": "x" * 4001}, ["summary"]),
            ({"acceptance_criteria": [{"text": "x"}] * 51}, ["acceptance_criteria"]),
            ({"approaches": [{"name": "a"}] * 6}, ["approaches"]),
            ({"steps": [{"text": "x", "status": "someday"}]}, ["steps", 0, "status"]),
            ({"recommendation": {"risks": "none"}}, ["recommendation", "solution"]),
            ({"acceptance_criteria": [{"done": True}]}, ["acceptance_criteria", 0, "text"]),
            ({"touchpoints": "shop/cart.py"}, ["touchpoints"]),
            ({"metadata": {"related_issues": ["x"] * 21}}, ["metadata", "related_issues"]),
            ({"acceptance_criterias": []}, ["acceptance_criterias"]),  # misspelt: not dropped unsaid
            ({"recommendation": {"soluton": "x", "solution": "y"}}, ["recommendation", "soluton"]),
        ],
    )
    def test_bad_parts_are_a_400_naming_them_and_change_nothing(self, owner_client, task, brief, where):
        response = patch(owner_client, task, brief)

        assert response.status_code == 400
        errors = response.json()["brief"]
        for key in where:
            errors = errors[str(key)] if isinstance(errors, dict) else errors[key]
        assert errors
        assert Task.objects.get(pk=task.pk).brief == {}

    def test_a_brief_is_given_at_creation(self, owner_client, task):
        response = owner_client.post(
            "/api/v1/tasks/",
            {"project": str(task.project_id), "title": "Search", "brief": BRIEF},
            format="json",
        )

        assert response.status_code == 201
        assert Task.objects.get(pk=response.json()["id"]).brief == BRIEF

    def test_the_chat_agent_ticks_a_criterion_with_the_same_rules(self, task):
        Task.objects.filter(pk=task.pk).update(brief=BRIEF)
        session = ChatSessionFactory(task=task)
        tools, message = AgentTools(session), MessageFactory(session=session)
        ticked = [{"text": "A reload keeps the cart", "done": True}]

        written, _ = tools.run(
            ToolCallRequest(
                "c1", "update_task", {"task_id": str(task.pk), "brief": {"acceptance_criteria": ticked}}, ""
            ),
            message=message,
        )
        refused, _ = tools.run(
            ToolCallRequest("c2", "update_task", {"task_id": str(task.pk), "brief": {"steps": [{}]}}, ""),
            message=message,
        )

        assert written.status == ToolCall.Status.SUCCESS, written.result
        brief = Task.objects.get(pk=task.pk).brief
        assert brief["acceptance_criteria"] == ticked and brief["summary"] == BRIEF["summary"]
        assert refused.status == ToolCall.Status.ERROR and "brief" in refused.result["error"]
        assert Task.objects.get(pk=task.pk).brief == brief

    def test_an_agent_over_mcp_ticks_a_criterion(self, owner, task):
        patch_task = MCP(token_for(owner)).ok
        Task.objects.filter(pk=task.pk).update(brief=BRIEF)
        ticked = [{"text": "A reload keeps the cart", "done": True}]

        written = patch_task(
            "update_task", {"task_id": str(task.pk), "brief": {"acceptance_criteria": ticked}}
        )

        assert written["task"]["brief"]["acceptance_criteria"] == ticked
        assert written["task"]["brief"]["summary"] == BRIEF["summary"]
        refused = MCP(token_for(owner)).refused(
            "update_task", {"task_id": str(task.pk), "brief": {"steps": [{}]}}
        )
        assert refused.startswith("brief.steps.0:") or "text" in refused

    def test_admin_edits_the_brief_as_json_with_the_same_rules(self, client, staff, task):
        Task.objects.filter(pk=task.pk).update(project=ProjectFactory(owner=staff))
        client.force_login(staff)
        url = reverse("admin:kanban_task_change", args=[task.pk])
        form = {
            "title": "Cart",
            "description": "",
            "details": "",
            "test_strategy": "",
            "status": "backlog",
            "priority": "medium",
            "complexity": "",
            "prompt": "",
            "parent": "",
            "subtasks-TOTAL_FORMS": "0",
            "subtasks-INITIAL_FORMS": "0",
            "commits-TOTAL_FORMS": "0",
            "commits-INITIAL_FORMS": "0",
        }

        bad = client.post(url, {**form, "brief": '{"steps": [{"text": "x", "status": "someday"}]}'})
        good = client.post(url, {**form, "brief": '{"summary": "Let buyers keep what they chose."}'})

        assert bad.status_code == 200 and "someday" in bad.content.decode()
        misspelt = client.post(url, {**form, "brief": '{"sumary": "x"}'}).content.decode()
        assert "sumary: Not a part of this" in misspelt and "ErrorDetail" not in misspelt
        assert good.status_code == 302, good.content.decode()[:2000]
        assert Task.objects.get(pk=task.pk).brief == {"summary": "Let buyers keep what they chose."}


class TestReading:
    def test_the_brief_as_markdown_in_the_templates_order(self, owner_client, task):
        Task.objects.filter(pk=task.pk).update(brief=BRIEF)

        response = owner_client.get(f"/api/v1/tasks/{task.pk}/brief/", HTTP_ACCEPT="text/markdown")

        assert response["Content-Type"] == "text/markdown; charset=utf-8"
        text = response.content.decode()
        assert text.startswith("# Cart\n\n## Metadata\n")
        positions = [text.index(section) for section in SECTIONS]
        assert positions == sorted(positions)
        assert "1. **Session**: Keep it in the session." in text
        assert "- Primary reason: No client code." in text
        assert "not approved yet" in text
        assert "1. [done] Model the cart" in text
        assert "- [ ] A reload keeps the cart" in text and "- [x] cart.py" in text
        assert "```sh\nmake test\n```" in text
        assert "\n\n\n" not in text

    @pytest.mark.parametrize(
        ("policy", "says"),
        [
            ("off", []),
            ("plan", ["Proceed only after a person approves the recommended solution"]),
            ("plan_and_done", ["Proceed only after", "Done needs every acceptance criterion ticked"]),
        ],
    )
    def test_the_approval_checkpoint_section_follows_the_projects_policy(
        self, owner_client, task, policy, says
    ):
        type(task.project).objects.filter(pk=task.project_id).update(require_approval=policy)
        Task.objects.filter(pk=task.pk).update(brief=BRIEF)

        text = owner_client.get(
            f"/api/v1/tasks/{task.pk}/brief/", HTTP_ACCEPT="text/markdown"
        ).content.decode()

        assert ("## Approval checkpoint" in text) == bool(says)
        assert all(sentence in text for sentence in says)

    def test_the_tasks_own_description_and_test_strategy_stay_beside_the_brief(self, owner_client, task):
        Task.objects.filter(pk=task.pk).update(
            brief=BRIEF, description="Shoppers lose carts.", test_strategy="Run the cart tests."
        )

        text = owner_client.get(
            f"/api/v1/tasks/{task.pk}/brief/", HTTP_ACCEPT="text/markdown"
        ).content.decode()

        summary = text.split("## Task summary\n\n")[1].split("\n## ")[0]
        tests = text.split("## Test plan\n\n")[1].split("\n## ")[0]
        assert summary == f"{BRIEF['summary']}\n\nShoppers lose carts.\n"
        assert tests == f"{BRIEF['test_plan']}\n\nRun the cart tests.\n"

    def test_the_checkpoint_says_who_approved_the_plan_and_the_result(self, owner_client, owner, task):
        type(task.project).objects.filter(pk=task.project_id).update(require_approval="plan_and_done")
        Task.objects.filter(pk=task.pk).update(brief=BRIEF)
        url = f"/api/v1/tasks/{task.pk}/brief/"
        assert owner_client.post(f"/api/v1/tasks/{task.pk}/approve/", {"comment": "Go"}).status_code == 200

        planned = owner_client.get(url, HTTP_ACCEPT="text/markdown").content.decode()
        TaskApproval.objects.create(task=task, checkpoint="result", approved_by=owner)
        finished = owner_client.get(url, HTTP_ACCEPT="text/markdown").content.decode()

        assert "The recommended solution was approved by owner on " in planned
        assert "“Go”" in planned
        assert "approval of the result: not approved yet." in planned
        assert "The result was approved by owner on " in finished
        assert "not approved yet" not in finished

    def test_the_brief_as_json(self, owner_client, task):
        Task.objects.filter(pk=task.pk).update(brief=BRIEF)

        answer = owner_client.get(f"/api/v1/tasks/{task.pk}/brief/", {"format": "json"}).json()

        assert answer["brief"] == BRIEF
        assert answer["markdown"].startswith("# Cart\n")

    def test_the_mcp_task_resource_serves_the_same_markdown(self, owner, owner_client, task):
        Task.objects.filter(pk=task.pk).update(brief=BRIEF)
        api = owner_client.get(
            f"/api/v1/tasks/{task.pk}/brief/", HTTP_ACCEPT="text/markdown"
        ).content.decode()

        read = MCP(token_for(owner)).rpc("resources/read", {"uri": f"orchestrator://tasks/{task.pk}"})

        assert read["result"]["contents"][0]["text"] == api

    def test_another_users_brief_is_not_found(self, outsider_client, task):
        assert outsider_client.get(f"/api/v1/tasks/{task.pk}/brief/").status_code == 404


class TestExport:
    def test_one_file_per_task_idempotently(self, task, tmp_path, capsys):
        Task.objects.filter(pk=task.pk).update(brief=BRIEF)
        other = TaskFactory(project=task.project, title="Search & filter!")

        call_command("export_briefs", "--project", str(task.project_id), str(tmp_path), "--no-progress")
        first = {path.name: path.read_text() for path in tmp_path.iterdir()}
        call_command("export_briefs", "--project", str(task.project_id), str(tmp_path), "--no-progress")

        assert sorted(first) == sorted([f"{task.pk.hex[:8]}-cart.md", f"{other.pk.hex[:8]}-search-filter.md"])
        assert first[f"{task.pk.hex[:8]}-cart.md"] == task_markdown(Task.objects.get(pk=task.pk))
        assert {path.name: path.read_text() for path in tmp_path.iterdir()} == first
        assert "Wrote 0 brief(s), 2 already up to date" in capsys.readouterr().out

    def test_a_progress_bar_counts_the_tasks(self, task, tmp_path):
        TaskFactory(project=task.project, title="Search")
        err = io.StringIO()

        call_command("export_briefs", "--project", str(task.project_id), str(tmp_path), stderr=err)

        assert "2/2" in err.getvalue() and "task" in err.getvalue()

    def test_a_renamed_task_replaces_its_file(self, task, tmp_path):
        call_command("export_briefs", "--project", str(task.project_id), str(tmp_path), "--no-progress")
        Task.objects.filter(pk=task.pk).update(title="Basket")

        call_command("export_briefs", "--project", str(task.project_id), str(tmp_path), "--no-progress")

        assert [path.name for path in tmp_path.iterdir()] == [f"{task.pk.hex[:8]}-basket.md"]

    def test_the_default_directory_and_an_unknown_project(self, task, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)

        call_command("export_briefs", "--project", str(task.project_id), "--no-progress")

        assert (tmp_path / "ai_docs" / "tasks" / f"{task.pk.hex[:8]}-cart.md").exists()
        with pytest.raises(CommandError, match="No project with id 'nope'"):
            call_command("export_briefs", "--project", "nope")
