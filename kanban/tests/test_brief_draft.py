"""Drafting a task's brief with AI, end to end: the real SDKs against local servers that speak
the providers' protocols, the model answering through the submit_brief tool call."""

import json

import pytest

from conftest import ai_model_on, finished_job, job_error
from core.testing import refused_before_calling
from kanban import services
from kanban.models import Task, TaskApproval
from kanban.tests.factories import BRIEF, TaskFactory
from projects.tests.factories import InterviewFactory, ProjectFactory, PromptFactory

pytestmark = pytest.mark.django_db

# What the model submits: the parts of BRIEF it drafts, its acceptance criteria as plain text.
DRAFTED_PARTS = ("summary", "approaches", "recommendation", "acceptance_criteria", "test_plan")
DRAFT = {
    **{part: BRIEF[part] for part in DRAFTED_PARTS},
    "acceptance_criteria": [criterion["text"] for criterion in BRIEF["acceptance_criteria"]],
}


def submit(arguments):
    return {"name": "submit_brief", "arguments": arguments}


@pytest.fixture
def task(owner):
    project = ProjectFactory(owner=owner, name="Shop")
    interview = InterviewFactory(
        project=project,
        conversation_data=[
            {"role": "assistant", "content": "How do shoppers pay?", "created_at": "2026-12-01T10:00:00Z"},
            {
                "role": "user",
                "content": "By card, never storing cards.",
                "created_at": "2026-12-01T10:01:00Z",
            },
        ],
    )
    tone = PromptFactory(project=project, content="Write for small shops.", is_reusable=True)
    prompt = PromptFactory(
        project=project,
        content="An online shop.",
        components=[{"prompt": str(tone.pk)}],
        created_from_interview=interview,
    )
    return TaskFactory(
        project=project,
        prompt=prompt,
        title="Take payments",
        description="Card payments at checkout.",
        brief={"touchpoints": ["shop/checkout.py"], "summary": "old"},
    )


def draft(client, task):
    return client.post(f"/api/v1/tasks/{task.pk}/draft-brief/", {})


def test_the_model_drafts_the_brief_from_the_task_its_prompt_and_the_interview(
    owner_client, task, provider_server
):
    ai_model_on(provider_server, usage_type="task_planning")
    provider_server.reply(tool_calls=[submit(DRAFT)])

    job = finished_job(draft(owner_client, task))

    assert job["status"] == "succeeded", job["error"]
    assert job["kind"] == "brief_draft"
    brief = Task.objects.get(pk=task.pk).brief
    # the criteria are stored not yet done, as BRIEF's are
    assert {part: brief[part] for part in DRAFTED_PARTS} == {part: BRIEF[part] for part in DRAFTED_PARTS}
    assert brief["touchpoints"] == ["shop/checkout.py"]  # a part it does not draft is kept
    assert job["result"]["task"]["brief"] == brief
    sent = json.dumps(provider_server.requests[0])
    for read in (
        "Take payments",
        "Card payments at checkout.",
        "Write for small shops.",
        "never storing cards",
    ):
        assert read in sent
    assert "submit_brief" in sent


def test_drafting_never_approves_and_a_new_recommendation_voids_an_approval(
    owner, owner_client, task, openai_server
):
    task.project.require_approval = "plan"
    task.project.save()
    services.task_update(task=task, brief={"recommendation": {"solution": "Embedded form."}})
    services.task_approve(task=task, checkpoint="plan", user=owner)
    ai_model_on(openai_server, usage_type="task_planning")
    openai_server.reply(tool_calls=[submit(DRAFT)])

    finished_job(draft(owner_client, task))

    assert not TaskApproval.objects.live().filter(task=task).exists()
    response = owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "in_progress"})
    assert response.status_code == 409
    assert "plan" in json.dumps(response.json())


def test_an_invalid_draft_goes_back_once_with_the_complaint(owner_client, task, openai_server):
    ai_model_on(openai_server)
    openai_server.reply(tool_calls=[submit({**DRAFT, "approaches": []})])
    openai_server.reply(tool_calls=[submit(DRAFT)])

    job = finished_job(draft(owner_client, task))

    assert job["status"] == "succeeded"
    complaint = openai_server.requests[1]["messages"][-1]
    assert complaint["role"] == "tool"
    assert "approaches" in complaint["content"]
    assert Task.objects.get(pk=task.pk).brief["summary"] == BRIEF["summary"]


@pytest.mark.parametrize(
    "answers",
    [
        [submit({**DRAFT, "recommendation": {"risks": "none"}})] * 2,
        [submit({**DRAFT, "acceptance_criteria": ["x" * 501]})] * 2,
        [None, None],  # words, no tool call
    ],
    ids=["no solution", "criterion too long", "no call"],
)
def test_two_invalid_drafts_fail_the_job_and_write_nothing(owner_client, task, openai_server, answers):
    ai_model_on(openai_server)
    for answer in answers:
        openai_server.reply("Here is my brief.", **({"tool_calls": [answer]} if answer else {}))
    before = Task.objects.get(pk=task.pk).brief

    error = job_error(draft(owner_client, task))

    assert error["code"] == "ai_provider_error"
    assert "did not give a valid submit_brief in two tries" in error["detail"]
    assert Task.objects.get(pk=task.pk).brief == before


def test_another_users_task_is_not_found(outsider_client, task, openai_server):
    ai_model_on(openai_server)

    response = draft(outsider_client, task)

    assert response.status_code == 404
    assert not openai_server.requests


def test_a_done_task_is_not_drafted(owner_client, task, openai_server):
    ai_model_on(openai_server)
    Task.objects.filter(pk=task.pk).update(status="done")

    response = draft(owner_client, task)

    assert "done" in refused_before_calling(response, openai_server)["detail"]


def test_extra_keys_a_model_adds_are_dropped(owner_client, task, openai_server):
    ai_model_on(openai_server)
    extra = {**DRAFT, "approaches": [{**DRAFT["approaches"][0], "pros": "Simple."}]}
    openai_server.reply(
        tool_calls=[submit({**extra, "recommendation": {**DRAFT["recommendation"], "cost": 1}})]
    )

    job = finished_job(draft(owner_client, task))

    assert job["status"] == "succeeded", job["error"]
    brief = Task.objects.get(pk=task.pk).brief
    assert "pros" not in brief["approaches"][0] and "cost" not in brief["recommendation"]
