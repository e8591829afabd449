"""The tools over `/mcp/`: the sets offered and their size, an agent's whole loop through them
leaving what the REST API would, claims between agents, destructive gating, and the audit."""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from activity.models import Activity
from aimodels.models import SystemSettings
from conftest import ai_model_on
from kanban.models import Task, TaskClaim
from kanban.tests.factories import TaskFactory
from mcp_server.models import ToolCallRecord
from mcp_server.tests.conftest import MCP, token_for
from mcp_server.tools import CORE_TOOLS, EXTENDED_TOOLS
from projects import services as prompt_services
from projects.tests.factories import PromptFactory

pytestmark = pytest.mark.django_db

# The core tools/list an agent reads into its context: at most ~5,000 tokens, counted as
# characters / 4 (a tokenizer-free proxy; English JSON runs 3.5-4.5 characters a token).
CORE_TOKEN_BUDGET = 5000


class TestToolSets:
    def test_the_core_set_is_the_default_and_fits_its_budget(self, mcp):
        tools = mcp.rpc("tools/list")["result"]["tools"]

        assert [tool["name"] for tool in tools] == list(CORE_TOOLS)
        assert len(tools) <= 10
        tokens = len(json.dumps(tools)) / 4
        assert tokens <= CORE_TOKEN_BUDGET, f"core tools/list is ~{tokens:.0f} tokens"

    def test_every_tool_says_what_it_does_to_the_board(self, mcp):
        tools = {
            tool["name"]: tool
            for tool in mcp.rpc("tools/list", HTTP_X_MCP_TOOLS="extended")["result"]["tools"]
        }

        assert list(tools) == [*CORE_TOOLS, *EXTENDED_TOOLS]
        for name in ("list_projects", "next_task", "list_tasks", "get_task", "get_prompt", "get_job"):
            assert tools[name]["annotations"]["readOnlyHint"] is True, name
        assert tools["delete_task"]["annotations"]["destructiveHint"] is True
        assert tools["claim_task"]["annotations"]["idempotentHint"] is True
        assert tools["move_task"]["annotations"] == {
            "readOnlyHint": False,
            "destructiveHint": False,
            "idempotentHint": False,
            "openWorldHint": False,
        }
        assert tools["move_task"]["inputSchema"] == {
            "type": "object",
            "properties": {
                "task_id": {"type": "string", "maxLength": 45, "description": "The task's id."},
                "status": {"type": "string", "enum": Task.Status.values},
                "position": {"type": "integer", "minimum": 0},
            },
            "additionalProperties": False,
            "required": ["task_id", "status"],
        }

    def test_the_extended_set_by_query_parameter(self, owner):
        extended = MCP(token_for(owner), path="/mcp/?tools=extended")

        names = [tool["name"] for tool in extended.rpc("tools/list")["result"]["tools"]]

        assert set(EXTENDED_TOOLS) <= set(names)
        assert {"create_task", "add_dependency", "expand_task", "plan_prompt", "get_job"} <= set(names)

    def test_an_extended_tool_is_unknown_in_the_core_set(self, mcp, task):
        answer = mcp.rpc("tools/call", {"name": "delete_task", "arguments": {"task_id": str(task.pk)}})

        assert answer["error"]["code"] == -32602
        assert "extended set" in answer["error"]["message"]
        assert Task.objects.filter(pk=task.pk).exists()


class TestAnAgentsLoop:
    def test_next_claim_read_start_update_review_complete(self, mcp, project, task, owner):
        later = TaskFactory(project=project, title="Search", priority="low")
        holder = {"HTTP_X_ORCHESTRATOR_HOLDER": "claude-code@laptop"}

        (listed,) = mcp.ok("list_projects")["projects"]
        assert (listed["id"], listed["name"]) == (str(project.pk), "Shop")
        chosen = mcp.ok("next_task", {"project_id": str(project.pk)}, **holder)
        assert chosen["task"]["id"] == str(task.pk)
        claim = mcp.ok("claim_task", {"task_id": str(task.pk)}, **holder)["claim"]
        assert claim["holder"] == "claude-code@laptop"
        read = mcp.ok("get_task", {"task_id": str(task.pk)}, **holder)
        assert read["task"]["claim"]["holder"] == "claude-code@laptop"
        assert read["brief"].startswith("# Cart\n")
        assert (
            mcp.ok("move_task", {"task_id": str(task.pk), "status": "in_progress"}, **holder)["task"][
                "status"
            ]
            == "in_progress"
        )
        updated = mcp.ok("update_task", {"task_id": str(task.pk), "details": "Use the cart API."}, **holder)
        assert updated["task"]["details"] == "Use the cart API."
        mcp.ok("move_task", {"task_id": str(task.pk), "status": "review"}, **holder)
        done = mcp.ok("complete_task", {"task_id": str(task.pk)}, **holder)

        assert (done["task"]["status"], done["task"]["claim"], done["released"]) == ("done", None, True)
        assert mcp.ok("next_task", {"project_id": str(project.pk)}, **holder)["task"]["id"] == str(later.pk)
        # The board and the history, as the REST API reads them.
        board = mcp.client.get(
            f"/api/v1/projects/{project.pk}/board/", HTTP_AUTHORIZATION=f"Token {mcp.token}"
        ).json()
        assert [[t["title"] for t in column["tasks"]] for column in board["columns"]] == [
            ["Search"],
            [],
            [],
            [],
            ["Cart"],
        ]
        history = Activity.objects.filter(object_id=str(task.pk)).order_by("pk")
        assert [record.verb for record in history] == [
            "created",
            "claimed",
            "moved",
            "changed",
            "moved",
            "moved",
            "released",
        ]
        client = ToolCallRecord.objects.filter(user=owner).latest("created_at").client
        for record in history[1:]:
            assert (record.channel, record.actor) == ("mcp", owner)
            assert (record.via["holder"], record.via["client"]) == ("claude-code@laptop", client)
        updated_record = history.get(verb="changed")
        assert updated_record.via["tool"] == "update_task"
        assert updated_record.changes == {"details": {"from": "", "to": "Use the cart API."}}
        assert ToolCallRecord.objects.filter(user=owner).count() == 9

    def test_every_call_is_recorded_reads_and_refusals_too(self, mcp, owner, task):
        mcp.ok("get_task", {"task_id": str(task.pk)})
        mcp.refused("move_task", {"task_id": str(task.pk), "status": "doing"})

        read, refused = ToolCallRecord.objects.order_by("created_at", "pk")
        assert (read.tool, read.is_error, read.user) == ("get_task", False, owner)
        assert (refused.tool, refused.is_error, refused.arguments["status"]) == ("move_task", True, "doing")
        assert "status" in refused.error
        assert read.client and read.holder.endswith("@" + owner.username)

    def test_the_calls_are_listed_in_admin_and_kept_there(self, mcp, staff, task):
        mcp.ok("get_task", {"task_id": str(task.pk)})
        mcp.refused("move_task", {"task_id": str(task.pk), "status": "doing"})
        browser = Client()
        browser.force_login(staff)

        listed = browser.get("/admin/mcp_server/toolcallrecord/")
        latest = ToolCallRecord.objects.latest("created_at")
        page = browser.get(f"/admin/mcp_server/toolcallrecord/{latest.pk}/change/")

        assert listed.status_code == 200
        assert b"get_task" in listed.content and b"move_task" in listed.content
        assert page.status_code == 200 and b"doing" in page.content
        assert browser.get("/admin/mcp_server/toolcallrecord/add/").status_code == 403

    def test_a_refusal_changes_nothing_and_says_why(self, mcp, project, task):
        SystemSettings.objects.create(key="kanban.wip_limits", value={"in_progress": 1})
        TaskFactory(project=project, status="in_progress")

        text = mcp.refused("move_task", {"task_id": str(task.pk), "status": "in_progress"})

        assert text == "Column 'in_progress' is at its WIP limit of 1; finish or move a task first."
        assert Task.objects.get(pk=task.pk).status == "backlog"
        assert not Activity.objects.filter(object_id=str(task.pk), channel="mcp").exists()

    def test_get_prompt_renders_a_label_with_variables(self, mcp, project):
        prompt = PromptFactory(project=project, content="Build {{thing}} fast.", type="feature")
        prompt_services.prompt_label_move(prompt=prompt, name="production")

        got = mcp.ok(
            "get_prompt",
            {"lineage": str(prompt.lineage), "label": "production", "variables": {"thing": "a shop"}},
        )

        assert got["text"] == "Build a shop fast."
        assert got["prompt"]["version"] == 1
        missing = mcp.refused("get_prompt", {"lineage": str(prompt.lineage), "label": "production"})
        assert missing == "variables: Missing values for: thing."


class TestTheExtendedSet:
    """The extended tools do what their REST peers do; AI steps answer a job handle that
    get_job follows to its result."""

    @pytest.fixture
    def agent(self, owner):
        return MCP(token_for(owner), path="/mcp/?tools=extended")

    def test_create_subtasks_and_dependencies(self, agent, project, task):
        created = agent.ok(
            "create_task",
            {"project_id": str(project.pk), "title": "Card form", "priority": "high", "parent": str(task.pk)},
        )["task"]
        other = agent.ok("create_task", {"project_id": str(project.pk), "title": "Receipts"})["task"]

        waiting = agent.ok("add_dependency", {"task_id": other["id"], "depends_on_id": created["id"]})
        cycle = agent.refused("add_dependency", {"task_id": created["id"], "depends_on_id": other["id"]})
        freed = agent.ok("remove_dependency", {"task_id": other["id"], "depends_on_id": created["id"]})

        card = Task.objects.get(pk=created["id"])
        assert (card.parent, card.priority, card.project) == (task, "high", project)
        assert waiting["task"]["dependencies"] == [created["id"]] and waiting["task"]["blocked"] is True
        assert "cycle" in cycle.lower()
        assert (
            freed["task"]["dependencies"] == [] and not Task.objects.get(pk=other["id"]).dependencies.exists()
        )

    def test_ai_steps_are_jobs_that_get_job_follows(
        self, agent, owner, project, task, openai_server, django_capture_on_commit_callbacks
    ):
        ai_model_on(openai_server, usage_type="task_planning")
        subtask = {"id": 1, "title": "Card form", "description": "", "details": "", "test_strategy": ""}
        subtask |= {"priority": "medium", "complexity": 3, "dependencies": []}
        score = {"task_id": str(task.pk), "complexity": 6, "reason": "Payments.", "expand": True}
        openai_server.reply(tool_calls=[{"name": "submit_complexity", "arguments": {"tasks": [score]}}])
        openai_server.reply(tool_calls=[{"name": "submit_subtasks", "arguments": {"tasks": [subtask]}}])
        prompt = PromptFactory(project=project, content="An online shop.")
        planned = {**subtask, "title": "Catalogue"}
        openai_server.reply(tool_calls=[{"name": "submit_plan", "arguments": {"tasks": [planned]}}])

        handles = []
        for name, arguments in [
            ("analyze_complexity", {"project_id": str(project.pk)}),
            ("expand_task", {"task_id": str(task.pk), "count": 1}),
            ("plan_prompt", {"prompt_id": str(prompt.pk)}),
        ]:
            with django_capture_on_commit_callbacks(execute=True):  # inline jobs run once the call commits
                handles.append(agent.ok(name, arguments))
        jobs = [agent.ok("get_job", {"job_id": handle["job"]["id"]}) for handle in handles]

        assert [handle["next"] for handle in handles] == ["poll it with get_job"] * 3
        assert [(job["kind"], job["status"]) for job in jobs] == [
            ("complexity_analyze", "succeeded"),
            ("task_expand", "succeeded"),
            ("task_plan", "succeeded"),
        ], [job["error"] for job in jobs]
        assert [row["title"] for row in jobs[1]["result"]["created"]] == ["Card form"]
        assert Task.objects.get(title="Card form").parent == task
        assert Task.objects.get(pk=task.pk).complexity == 6
        assert Task.objects.get(title="Catalogue").prompt == prompt


class TestPaging:
    """Lists are cut into pages by a cursor; walking them lists every resource once, whatever
    falls on a page's edge."""

    def walk(self, mcp, method: str, key: str) -> list[list[str]]:
        pages, cursor = [], None
        while True:
            answer = mcp.rpc(method, {"cursor": cursor} if cursor else None)["result"]
            pages.append([item.get("uri") or item["name"] for item in answer[key]])
            cursor = answer.get("nextCursor")
            if not cursor:
                return pages

    @pytest.mark.parametrize("page_size", [1, 2, 3, 4, 5, 7])
    def test_every_resource_is_listed_once_across_the_pages(self, monkeypatch, mcp, project, task, page_size):
        prompt = PromptFactory(project=project, content="Build it.")
        prompt_services.prompt_label_move(prompt=prompt, name="production")
        other = TaskFactory(project=project, title="Search")
        monkeypatch.setattr("mcp_server.resources.PAGE_SIZE", page_size)

        pages = self.walk(mcp, "resources/list", "resources")

        assert all(0 < len(page) <= page_size for page in pages), pages
        listed = [uri for page in pages for uri in page]
        assert sorted(listed) == sorted(
            [
                "orchestrator://guide",
                f"orchestrator://projects/{project.pk}/board",
                f"orchestrator://prompts/{prompt.lineage}@production",
                *(f"orchestrator://tasks/{pk}" for pk in (task.pk, other.pk)),
            ]
        )

    def test_prompts_are_paged_too(self, monkeypatch, mcp, project):
        for n in range(3):
            prompt = PromptFactory(project=project, content=f"Build {n}.", type=f"kind{n}")
            prompt_services.prompt_label_move(prompt=prompt, name="production")
        monkeypatch.setattr("mcp_server.resources.PAGE_SIZE", 2)

        pages = self.walk(mcp, "prompts/list", "prompts")

        assert [len(page) for page in pages] == [2, 1]
        assert len({name for page in pages for name in page}) == 3

    def test_a_cursor_that_is_not_ours_is_invalid_params(self, mcp):
        answer = mcp.rpc("resources/list", {"cursor": "not-a-cursor"})

        assert answer["error"]["code"] == -32602


class TestClaimsBetweenAgents:
    def claim(self, owner, task, holder):
        return MCP(token_for(owner)).call(
            "claim_task", {"task_id": str(task.pk)}, HTTP_X_ORCHESTRATOR_HOLDER=holder
        )

    def test_another_agent_is_told_who_holds_it_and_cannot_work_on_it(self, owner, task):
        self.claim(owner, task, "claude-code@laptop")
        cursor = MCP(token_for(owner))
        as_cursor = {"HTTP_X_ORCHESTRATOR_HOLDER": "cursor@desktop"}

        refused = cursor.refused("claim_task", {"task_id": str(task.pk)}, **as_cursor)
        assert refused.startswith("Claimed by claude-code@laptop until ")
        assert refused.endswith("Take another task (next_task).")
        for name, arguments in (
            ("move_task", {"status": "todo"}),
            ("update_task", {"title": "Mine"}),
            ("complete_task", {}),
            ("release_task", {}),
        ):
            text = cursor.refused(name, {"task_id": str(task.pk), **arguments}, **as_cursor)
            assert "claude-code@laptop" in text, name
        stored = Task.objects.get(pk=task.pk)
        assert (stored.status, stored.title) == ("backlog", "Cart")
        assert TaskClaim.objects.get(task=task).holder == "claude-code@laptop"

    def test_next_task_never_hands_a_claimed_task_to_another_holder(self, owner, project, task):
        other = TaskFactory(project=project, title="Search", priority="low")
        self.claim(owner, task, "a@x")

        chosen = MCP(token_for(owner)).ok(
            "next_task", {"project_id": str(project.pk)}, HTTP_X_ORCHESTRATOR_HOLDER="b@y"
        )

        assert chosen["task"]["id"] == str(other.pk)
        self.claim(owner, other, "c@z")
        nothing = MCP(token_for(owner)).ok(
            "next_task", {"project_id": str(project.pk)}, HTTP_X_ORCHESTRATOR_HOLDER="b@y"
        )
        assert nothing["task"] is None

    def test_a_claim_expires_by_itself_and_frees_the_task(self, owner, task):
        SystemSettings.objects.create(key="kanban.claim_ttl_seconds", value=1)
        assert not self.claim(owner, task, "a@x").get("isError")

        time.sleep(1.2)

        taken = self.claim(owner, task, "b@y")
        assert not taken.get("isError"), taken
        assert TaskClaim.objects.get(task=task).holder == "b@y"

    def test_work_on_the_task_renews_the_holders_lease(self, owner, task):
        self.claim(owner, task, "a@x")
        soon = timezone.now() + timedelta(minutes=1)
        TaskClaim.objects.filter(task=task).update(expires_at=soon)

        MCP(token_for(owner)).ok("get_task", {"task_id": str(task.pk)}, HTTP_X_ORCHESTRATOR_HOLDER="a@x")

        assert TaskClaim.objects.get(task=task).expires_at > soon + timedelta(minutes=25)


class TestDestructive:
    def test_delete_needs_the_extended_set_and_the_setting(self, owner, task):
        extended = MCP(token_for(owner), path="/mcp/?tools=extended")

        refused = extended.refused("delete_task", {"task_id": str(task.pk)})
        assert "mcp.allow_destructive is off" in refused
        assert Task.objects.filter(pk=task.pk).exists()

        SystemSettings.objects.create(key="mcp.allow_destructive", value=True)
        extended.ok("delete_task", {"task_id": str(task.pk)})
        assert not Task.objects.filter(pk=task.pk).exists()
        assert Activity.objects.get(verb="deleted").channel == "mcp"
