"""Plan, expand and analyze complexity, end to end: the real SDKs against local servers
that speak the providers' protocols, the model answering through a tool call."""

import json

import pytest

from aimodels.models import SystemSettings
from conftest import ai_model_on, finished_job, job_error
from core.testing import refused_before_calling
from kanban import services
from kanban.models import Task
from kanban.tests.factories import TaskFactory
from projects import services as prompt_services
from projects.tests.factories import ProjectFactory, PromptFactory

pytestmark = pytest.mark.django_db


def planned(n, title, *, dependencies=(), priority="medium", complexity=3):
    return {
        "id": n,
        "title": title,
        "description": f"About {title}",
        "details": f"How to {title}",
        "test_strategy": f"Check {title}",
        "priority": priority,
        "complexity": complexity,
        "dependencies": list(dependencies),
    }


def submit(tool, *tasks):
    return {"name": tool, "arguments": {"tasks": list(tasks)}}


SHOP_PLAN = [
    planned(1, "Set up the catalogue", priority="high", complexity=4),
    planned(2, "Build the cart", dependencies=[1], complexity=5),
    planned(3, "Take payments", dependencies=[1, 2], priority="urgent", complexity=8),
]


@pytest.fixture
def prompt(owner):
    project = ProjectFactory(owner=owner, name="Shop")
    tone = PromptFactory(project=project, content="Write for small shops.", is_reusable=True)
    return PromptFactory(project=project, content="An online shop.", components=[{"prompt": str(tone.pk)}])


def plan(client, prompt):
    return client.post(f"/api/v1/prompts/{prompt.pk}/plan/", {})


class TestPlan:
    def test_the_model_plans_tasks_with_dependencies_in_backlog(self, owner_client, prompt, provider_server):
        ai_model_on(provider_server, usage_type="task_planning")
        provider_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)])

        job = finished_job(plan(owner_client, prompt))

        assert job["status"] == "succeeded", job["error"]
        assert [task["title"] for task in job["result"]["created"]] == [t["title"] for t in SHOP_PLAN]
        assert job["result"]["kept"] == []
        tasks = {task.title: task for task in Task.objects.filter(project=prompt.project)}
        payments = tasks["Take payments"]
        assert (payments.status, payments.priority, payments.complexity, payments.prompt) == (
            "backlog",
            "urgent",
            8,
            prompt,
        )
        assert payments.test_strategy == "Check Take payments"
        assert set(payments.dependencies.all()) == {tasks["Set up the catalogue"], tasks["Build the cart"]}
        sent = json.dumps(provider_server.requests[0])
        assert "Write for small shops." in sent and "An online shop." in sent  # rendered components
        assert "submit_plan" in sent

    def test_an_invalid_plan_goes_back_once_with_the_complaint(self, owner_client, prompt, openai_server):
        ai_model_on(openai_server)
        openai_server.reply(tool_calls=[submit("submit_plan", planned(1, "A", dependencies=[2]))])
        openai_server.reply(tool_calls=[submit("submit_plan", planned(1, "A"))])

        job = finished_job(plan(owner_client, prompt))

        assert job["status"] == "succeeded"
        complaint = openai_server.requests[1]["messages"][-1]
        assert complaint["role"] == "tool"
        assert "depends on [2], which the plan does not have" in complaint["content"]
        assert list(Task.objects.values_list("title", flat=True)) == ["A"]

    @pytest.mark.parametrize(
        "answers",
        [
            [submit("submit_plan", planned(1, "A", dependencies=[2]), planned(2, "B", dependencies=[1]))] * 2,
            [submit("submit_plan", planned(1, "A", complexity=11))] * 2,
            [None, None],  # words, no tool call
        ],
        ids=["cycle", "complexity", "no call"],
    )
    def test_two_invalid_answers_fail_the_job_and_write_nothing(
        self, owner_client, prompt, openai_server, answers
    ):
        ai_model_on(openai_server)
        for answer in answers:
            openai_server.reply("Here is my plan.", **({"tool_calls": [answer]} if answer else {}))

        error = job_error(plan(owner_client, prompt))

        assert error["code"] == "ai_provider_error"
        assert "did not give a valid submit_plan in two tries" in error["detail"]
        assert not Task.objects.exists()

    def test_a_newer_version_adds_only_what_is_new(self, owner_client, prompt, openai_server):
        ai_model_on(openai_server)
        openai_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN[:2])])
        finished_job(plan(owner_client, prompt))
        newer = prompt_services.prompt_create_version(prompt=prompt, content="An online shop with payments.")
        openai_server.reply(
            tool_calls=[
                submit(
                    "submit_plan",
                    planned(1, "set up the  Catalogue"),
                    planned(2, "Build the cart", dependencies=[1]),
                    planned(3, "Take payments", dependencies=[2]),
                )
            ]
        )

        job = finished_job(plan(owner_client, newer))

        assert [task["title"] for task in job["result"]["created"]] == ["Take payments"]
        assert [task["title"] for task in job["result"]["kept"]] == ["Set up the catalogue", "Build the cart"]
        assert Task.objects.count() == 3
        payments = Task.objects.get(title="Take payments")
        assert payments.prompt == newer
        assert [task.title for task in payments.dependencies.all()] == ["Build the cart"]
        assert "Set up the catalogue" in json.dumps(openai_server.requests[1])  # told what exists

    def test_a_plan_over_the_backlog_limit_writes_nothing(self, owner_client, prompt, openai_server):
        SystemSettings.objects.create(key="kanban.wip_limits", value={"backlog": 2})
        ai_model_on(openai_server)
        openai_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)])

        error = job_error(plan(owner_client, prompt))

        assert (error["http_status"], "WIP limit" in error["detail"]) == (409, True)
        assert not Task.objects.exists()

    def test_another_users_prompt_is_not_found(self, outsider_client, prompt, openai_server):
        ai_model_on(openai_server)

        assert plan(outsider_client, prompt).status_code == 404
        assert not openai_server.requests


class TestExpand:
    def test_the_model_writes_subtasks_and_keeps_those_the_task_has(
        self, owner_client, owner, anthropic_server
    ):
        ai_model_on(anthropic_server)
        task = TaskFactory(project__owner=owner, title="Take payments")
        TaskFactory(project=task.project, parent=task, title="Pick a provider")
        anthropic_server.reply(
            tool_calls=[
                submit(
                    "submit_subtasks",
                    planned(1, "Pick a provider"),
                    planned(2, "Card form", dependencies=[1], complexity=4),
                )
            ]
        )

        job = finished_job(owner_client.post(f"/api/v1/tasks/{task.pk}/expand/", {"count": 2}))

        assert job["status"] == "succeeded", job["error"]
        assert [t["title"] for t in job["result"]["created"]] == ["Card form"]
        assert [t["title"] for t in job["result"]["kept"]] == ["Pick a provider"]
        card = Task.objects.get(title="Card form")
        assert (card.parent, card.complexity) == (task, 4)
        assert [t.title for t in card.dependencies.all()] == ["Pick a provider"]
        assert "about 2 subtasks" in json.dumps(anthropic_server.requests[0])

    def test_a_subtask_is_not_expanded(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        parent = TaskFactory(project__owner=owner)
        subtask = TaskFactory(project=parent.project, parent=parent)

        response = owner_client.post(f"/api/v1/tasks/{subtask.pk}/expand/", {})

        refused_before_calling(response, openai_server)

    def test_another_users_task_is_not_found(self, outsider_client, owner, openai_server):
        ai_model_on(openai_server)
        task = TaskFactory(project__owner=owner)

        assert outsider_client.post(f"/api/v1/tasks/{task.pk}/expand/", {}).status_code == 404


class TestComplexity:
    def url(self, project):
        return f"/api/v1/projects/{project.pk}/analyze-complexity/"

    def test_every_open_task_is_scored_and_the_scores_stored(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        project = ProjectFactory(owner=owner)
        small, big = TaskFactory(project=project, title="Copy"), TaskFactory(project=project, title="Search")
        TaskFactory(project=project, status="done")
        scores = [
            {"task_id": str(small.pk), "complexity": 2, "reason": "A text change.", "expand": False},
            {"task_id": str(big.pk), "complexity": 9, "reason": "Indexing and ranking.", "expand": True},
        ]
        openai_server.reply(tool_calls=[{"name": "submit_complexity", "arguments": {"tasks": scores[:1]}}])
        openai_server.reply(tool_calls=[{"name": "submit_complexity", "arguments": {"tasks": scores}}])

        job = finished_job(owner_client.post(self.url(project), {}))

        assert job["status"] == "succeeded", job["error"]
        assert job["result"]["recommended"] == [str(big.pk)]
        assert [(row["title"], row["complexity"], row["reason"]) for row in job["result"]["tasks"]] == [
            ("Copy", 2, "A text change."),
            ("Search", 9, "Indexing and ranking."),
        ]
        stored = dict(Task.objects.exclude(status="done").values_list("title", "complexity"))
        assert stored == {"Copy": 2, "Search": 9}
        assert Task.objects.get(status="done").complexity is None
        assert f"Tasks not scored: {big.pk}" in openai_server.requests[1]["messages"][-1]["content"]

    def test_another_users_project_is_not_found(self, outsider_client, owner, openai_server):
        ai_model_on(openai_server)

        assert outsider_client.post(self.url(ProjectFactory(owner=owner)), {}).status_code == 404


def test_planned_tasks_keep_the_dependency_rules(owner, openai_server, owner_client, prompt):
    ai_model_on(openai_server)
    openai_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)])
    finished_job(plan(owner_client, prompt))
    payments = Task.objects.get(title="Take payments")

    chosen, _ = services.next_task(project=prompt.project)

    assert chosen.title == "Set up the catalogue"  # the only unblocked one
    assert (
        owner_client.post(f"/api/v1/tasks/{payments.pk}/move/", {"status": "in_progress"}).status_code == 409
    )
