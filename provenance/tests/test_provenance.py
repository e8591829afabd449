"""The provenance of a task and of a commit: the chain in order, read in the same queries
whatever its length, another user's a 404, and the timeline on the admin pages."""

from decimal import Decimal

import pytest
from django.urls import reverse

from chat.models import ChatJob
from chat.tests.factories import ChatSessionFactory, ToolCallFactory
from jobs.models import Job, ModelCall
from jobs.tests.factories import JobFactory
from kanban import services
from kanban.models import BoardJob, Task
from kanban.tests.factories import CommitFactory, TaskFactory
from projects import services as prompt_services
from projects.tests.factories import InterviewFactory, ProjectFactory, PromptFactory

pytestmark = pytest.mark.django_db

TURNS = [
    {"role": "assistant", "content": "Who buys?", "created_at": "2026-12-01T10:00:00Z"},
    {"role": "user", "content": "Small shops.", "created_at": "2026-12-01T10:01:00Z"},
]


def sha(n: int) -> str:
    return f"{n:040x}"


def chain(owner, *, length: int) -> Task:
    """A task with `length` of each repeatable step: label moves, approvals, claims, chat
    sessions with tool calls, jobs with model calls, commits."""
    project = ProjectFactory(owner=owner, name="Shop", require_approval="plan")
    interview = InterviewFactory(project=project, conversation_data=TURNS)
    prompt = PromptFactory(project=project, content="An online shop.", created_from_interview=interview)
    prompt_services.prompt_label_move(prompt=prompt, name="production", user=owner)
    for n in range(length - 1):
        prompt_services.prompt_label_move(prompt=prompt, name=f"stage-{n}", user=owner)
    plan = Job.objects.create(
        owner=owner, project=project, kind=BoardJob.TASK_PLAN, input={"prompt": str(prompt.pk)}
    )
    ModelCall.objects.create(job=plan, project=project, model="gpt-test", cost=Decimal("0.01"))
    task = TaskFactory(project=project, prompt=prompt, title="Take payments")
    plan.status, plan.result = Job.Status.SUCCEEDED, {"created": [{"id": str(task.pk)}], "kept": []}
    plan.save()
    for n in range(length):
        services.task_update(task=task, brief={"recommendation": {"solution": f"Hosted checkout {n}."}})
        services.task_approve(task=task, user=owner, comment=f"go {n}")
        services.task_claim(task=task, holder=f"agent-{n}@laptop", user=owner)
        services.task_release(task=task, holder=f"agent-{n}@laptop")
        session = ChatSessionFactory(task=task)
        ToolCallFactory(message__session=session, tool_name="move_task")
        job = JobFactory(task=task, chat_session=session, kind=ChatJob.CHAT_MESSAGE)
        ModelCall.objects.create(job=job, project=project, model="gpt-test", cost=Decimal("0.02"))
        CommitFactory(task=task, message=f"feat: step {n}", sha=sha(n + 1))
    return task


def test_the_chain_is_answered_in_order(owner, owner_client):
    task = chain(owner, length=2)

    body = owner_client.get(f"/api/v1/tasks/{task.pk}/provenance/").json()

    assert list(body) == [
        "interview",
        "prompt",
        "plan_job",
        "task",
        "chat_sessions",
        "jobs",
        "model_calls",
        "cost",
        "unknown_cost_calls",
        "commits",
    ]
    assert body["interview"]["turns"] == 2
    assert body["prompt"]["prompt"]["version"] == 1
    assert sorted(body["prompt"]["labels"]) == ["production", "stage-0"]
    assert [move["moved_by"] for move in body["prompt"]["label_moves"]] == ["owner", "owner"]
    assert body["plan_job"]["kind"] == "task_plan"
    assert body["task"]["task"]["title"] == "Take payments"
    assert body["task"]["task"]["brief"]["recommendation"]["solution"] == "Hosted checkout 1."
    approvals = body["task"]["approvals"]
    assert [(a["approved_by"], a["comment"], a["voided_at"] is None) for a in approvals] == [
        ("owner", "go 0", False),  # voided when the recommendation changed
        ("owner", "go 1", True),
    ]
    assert [(c["verb"], c["holder"]) for c in body["task"]["claims"]] == [
        ("claimed", "agent-0@laptop"),
        ("released", "agent-0@laptop"),
        ("claimed", "agent-1@laptop"),
        ("released", "agent-1@laptop"),
    ]
    assert [[call["tool_name"] for call in s["tool_calls"]] for s in body["chat_sessions"]] == [
        ["move_task"],
        ["move_task"],
    ]
    assert [job["kind"] for job in body["jobs"]] == ["task_plan", "chat_message", "chat_message"]
    assert [call["job_kind"] for call in body["model_calls"]] == ["task_plan", "chat_message", "chat_message"]
    assert Decimal(body["cost"]) == Decimal("0.05")
    assert [commit["sha"] for commit in body["commits"]] == [sha(1), sha(2)]


def test_a_commits_provenance_ends_with_that_commit(owner, owner_client):
    task = chain(owner, length=2)
    commit = task.commits.get(sha=sha(2))

    body = owner_client.get(f"/api/v1/commits/{commit.pk}/provenance/").json()

    assert body["task"]["task"]["id"] == str(task.pk)
    assert [c["id"] for c in body["commits"]] == [str(commit.pk)]
    assert body["interview"] is not None and body["plan_job"] is not None


def test_a_task_with_no_history_has_empty_steps(owner, owner_client):
    task = TaskFactory(project=ProjectFactory(owner=owner))

    body = owner_client.get(f"/api/v1/tasks/{task.pk}/provenance/").json()

    assert (body["interview"], body["prompt"], body["plan_job"]) == (None, None, None)
    assert (body["chat_sessions"], body["jobs"], body["model_calls"], body["commits"]) == ([], [], [], [])
    assert Decimal(body["cost"]) == 0


def test_a_cost_not_known_is_not_zero(owner, owner_client):
    task = TaskFactory(project=ProjectFactory(owner=owner))
    job = JobFactory(task=task)
    ModelCall.objects.create(job=job, project=task.project, model="local", cost=None)

    unknown = owner_client.get(f"/api/v1/tasks/{task.pk}/provenance/").json()
    ModelCall.objects.create(job=job, project=task.project, model="gpt-test", cost=Decimal("0.02"))
    partial = owner_client.get(f"/api/v1/tasks/{task.pk}/provenance/").json()

    assert (unknown["cost"], unknown["unknown_cost_calls"]) == (None, 1)
    assert (Decimal(partial["cost"]), partial["unknown_cost_calls"]) == (Decimal("0.02"), 1)


def test_a_subtasks_plan_is_its_parents_expansion(owner, owner_client):
    parent = TaskFactory(project=ProjectFactory(owner=owner))
    subtask = TaskFactory(project=parent.project, parent=parent)
    expansion = JobFactory(
        task=parent, status=Job.Status.SUCCEEDED, result={"created": [{"id": str(subtask.pk)}], "kept": []}
    )

    body = owner_client.get(f"/api/v1/tasks/{subtask.pk}/provenance/").json()

    assert body["plan_job"]["id"] == str(expansion.pk)


# The queries of a provenance, whatever the chain's length (force_authenticate: no auth):
#  1 the task with its project, prompt and interview (for_user)
#  2 the jobs of the chain with their models
#  3 their model calls with their jobs
#  4 the prompt's current labels
#  5 the moves of labels to and from it, with who moved them
#  6 the approvals with who approved
#  7 the claim records with their actors
#  8 the chat sessions
#  9 their tool calls
# 10 the commits
# The commit's provenance reads the commit with its task, prompt and interview instead of 1,
# and instead of 10 the first change of the brief after the commit (the brief as it was).
@pytest.mark.parametrize("length", [1, 6])
@pytest.mark.parametrize("of", ["tasks", "commits"])
def test_the_queries_do_not_grow_with_the_chain(owner, owner_client, django_assert_num_queries, length, of):
    task = chain(owner, length=length)
    pk = task.pk if of == "tasks" else task.commits.first().pk

    with django_assert_num_queries(10):
        response = owner_client.get(f"/api/v1/{of}/{pk}/provenance/")

    assert response.status_code == 200
    assert len(response.json()["chat_sessions"]) == length


@pytest.mark.parametrize("of", ["tasks", "commits"])
def test_another_users_provenance_is_not_found(owner, outsider_client, of):
    task = chain(owner, length=1)
    pk = task.pk if of == "tasks" else task.commits.first().pk

    response = outsider_client.get(f"/api/v1/{of}/{pk}/provenance/")

    assert response.status_code == 404
    assert "Take payments" not in response.content.decode()


def test_admin_shows_the_timeline_on_the_task_and_the_commit(client, owner):
    owner.is_staff = owner.is_superuser = True
    owner.save()
    client.force_login(owner)
    task = chain(owner, length=1)
    commit = task.commits.get()

    for url in (
        reverse("admin:kanban_task_change", args=[task.pk]),
        reverse("admin:kanban_commit_change", args=[commit.pk]),
    ):
        page = client.get(url).content.decode()
        timeline = page[page.index('id="provenance"') :]
        steps = [
            "interview",
            "prompt",
            "label",
            "plan",
            "task",
            "approval",
            "claim",
            "chat",
            "commit",
        ]
        positions = [timeline.index(f"<strong>{step}</strong>") for step in steps]
        assert positions == sorted(positions), url  # in the order the work happened
        assert timeline.count("<strong>model call</strong>") == 2  # the plan's and the agent's
        assert sha(1)[:12] in timeline
        assert "approved by owner" in timeline


def test_jobs_that_did_not_lead_to_the_task_are_left_out(owner, outsider, owner_client):
    task = chain(owner, length=1)
    other = TaskFactory(project=task.project, prompt=task.prompt, title="Ship orders")
    Job.objects.create(  # a later plan of the same prompt, which wrote another task
        owner=owner,
        project=task.project,
        kind=BoardJob.TASK_PLAN,
        status=Job.Status.SUCCEEDED,
        input={"prompt": str(task.prompt.pk)},
        result={"created": [{"id": str(other.pk)}], "kept": []},
    )
    foreign = Job.objects.create(  # another user's job naming the same prompt
        owner=outsider,
        project=ProjectFactory(owner=outsider),
        kind=BoardJob.TASK_PLAN,
        input={"prompt": str(task.prompt.pk)},
        result={"created": [{"id": str(task.pk)}], "kept": []},
    )
    ModelCall.objects.create(job=foreign, model="gpt-test", cost=Decimal("1.00"))

    body = owner_client.get(f"/api/v1/tasks/{task.pk}/provenance/").json()

    assert [job["kind"] for job in body["jobs"]] == ["task_plan", "chat_message"]
    assert Decimal(body["cost"]) == Decimal("0.03")


def test_a_commits_provenance_stops_at_that_commit(owner, owner_client):
    task = chain(owner, length=3)
    first = task.commits.get(sha=sha(1))

    body = owner_client.get(f"/api/v1/commits/{first.pk}/provenance/").json()

    assert len(body["chat_sessions"]) == 1
    assert [job["kind"] for job in body["jobs"]] == ["task_plan", "chat_message"]
    assert [(c["verb"], c["holder"]) for c in body["task"]["claims"]] == [
        ("claimed", "agent-0@laptop"),
        ("released", "agent-0@laptop"),
    ]
    # as things were then: the brief of that time, its approval not voided yet
    assert body["task"]["task"]["brief"]["recommendation"]["solution"] == "Hosted checkout 0."
    assert [(a["comment"], a["voided_at"]) for a in body["task"]["approvals"]] == [("go 0", None)]
    assert Decimal(body["cost"]) == Decimal("0.03")
