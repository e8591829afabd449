"""A job delivered again after its worker was lost resumes: the user's input stays stored
once, a recorded step is read back rather than asked again, a tool effect is applied once."""

import pytest

from chat import tools
from chat.models import Message, ToolCall
from conftest import ai_model_on
from jobs.models import Job
from jobs.services import execute
from kanban.models import Task
from projects import services as project_services
from projects.models import Interview
from projects.tests.factories import InterviewFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]


class WorkerLost(BaseException):
    """What the job sees of a SIGKILL: nothing after this point runs."""


def lose_the_worker_at(monkeypatch, owner, name):
    """Make `owner.name` kill the job once, as a worker lost at that moment would."""
    original = getattr(owner, name)

    def lost(*args, **kwargs):
        monkeypatch.setattr(owner, name, original)
        raise WorkerLost

    monkeypatch.setattr(owner, name, lost)


def deliver_twice(job_id):
    with pytest.raises(WorkerLost):
        execute(job_id)
    assert Job.objects.get(pk=job_id).status == "running"
    execute(job_id)  # the broker's second delivery
    return Job.objects.get(pk=job_id)


@pytest.mark.parametrize(
    "moment",
    [
        "run",  # after the model's step was recorded, before its tool ran
        "_record",  # inside the tool's transaction: its effect done, its audit row not yet written
    ],
)
def test_an_agent_turn_resumes_without_a_second_effect(monkeypatch, agent_turn, openai_server, moment):
    lose_the_worker_at(monkeypatch, tools.AgentTools, moment)

    job = deliver_twice(agent_turn)

    assert (job.status, job.attempts) == ("succeeded", 2)
    assert list(Message.objects.values_list("role", "content")) == [
        ("user", "Add checkout"),
        ("assistant", "Adding it."),
        ("assistant", "Checkout is on the board."),
    ]
    assert Task.objects.filter(title="Checkout").count() == 1
    assert ToolCall.objects.get().status == "success"
    # The first step was asked for once: only the second request carries its tool result.
    assert len(openai_server.requests) == 2
    assert [m["role"] for m in job.result["messages"]] == ["user", "assistant", "assistant"]


def test_a_tool_call_recorded_once_is_never_run_again(agent_turn, openai_server):
    execute(agent_turn)
    job = Job.objects.get(pk=agent_turn)
    Job.objects.filter(pk=job.pk).update(status="running")  # as if the success had not been acknowledged
    openai_server.reply("Checkout is on the board.")

    execute(job.pk)

    assert Task.objects.filter(title="Checkout").count() == 1
    assert ToolCall.objects.count() == 1
    assert Message.objects.filter(role="assistant").count() == 2
    assert len(openai_server.requests) == 2  # both steps were recorded: no model call again


def test_an_interview_turn_stores_the_users_message_once(monkeypatch, owner_client, owner, openai_server):
    ai_model_on(openai_server)
    interview = InterviewFactory(project__owner=owner)
    openai_server.reply("Who are the users?")
    openai_server.reply("Who are the users?")
    job = owner_client.post(f"/api/v1/interviews/{interview.pk}/messages/", {"content": "A shop"}).json()
    lose_the_worker_at(monkeypatch, project_services, "interview_reply_append")

    job = deliver_twice(job["id"])

    assert job.status == "succeeded"
    transcript = Interview.objects.get().conversation_data
    assert [(e["role"], e["content"]) for e in transcript] == [
        ("user", "A shop"),
        ("assistant", "Who are the users?"),
    ]
    assert all(entry["job"] == str(job.pk) for entry in transcript)
