"""The job resource: list, detail, cancel, Prefer: wait, Idempotency-Key, one turn at a time."""

import dataclasses
from datetime import datetime

import pytest

from aimodels.tests.fake_providers import USAGE
from chat.models import Message
from chat.tests.factories import ChatSessionFactory
from conftest import ai_model_on, finished_job, job_result
from jobs.models import Job, JobEvent
from jobs.services import execute
from projects.models import Interview, InterviewJob
from projects.tests.factories import InterviewFactory


def turn(client, interview, content="We need a shop", **headers):
    return client.post(f"/api/v1/interviews/{interview.pk}/messages/", {"content": content}, headers=headers)


@pytest.mark.django_db
class TestInline:
    def test_an_action_answers_the_finished_job_and_its_location(self, owner_client, owner, openai_server):
        model = ai_model_on(openai_server, usage_type="interview")
        interview = InterviewFactory(project__owner=owner)
        openai_server.reply("Who are the users?")

        response = turn(owner_client, interview)

        job = finished_job(response)
        assert {key: job[key] for key in ("kind", "status", "project", "ai_model", "attempts", "error")} == {
            "kind": "interview_message",
            "status": "succeeded",
            "project": str(interview.project_id),
            "ai_model": str(model.pk),
            "attempts": 1,
            "error": None,
        }
        assert job["usage"] == USAGE | {
            "calls": 1,
            "failed_calls": 0,
            "unknown_token_calls": 0,
            "unknown_cost_calls": 0,
        }
        # as times: a time on the second is written without its fraction ("...:05Z" < "...:05.03Z")
        created, started, finished = (
            datetime.fromisoformat(job[key]) for key in ("created_at", "started_at", "finished_at")
        )
        assert created <= started <= finished
        assert owner_client.get(response["Location"]).json() == job

    def test_a_provider_timeout_is_data_of_the_job(self, owner_client, owner, openai_server):
        ai_model_on(openai_server, name="slow", config={"timeout": 0.3, "max_retries": 2})
        openai_server.reply(delay=1)

        response = turn(owner_client, InterviewFactory(project__owner=owner))

        job = finished_job(response)
        assert (job["status"], job["error"]) == (
            "failed",
            {
                "code": "ai_provider_timeout",
                "detail": "AI model 'slow' did not answer in time.",
                "http_status": 504,
            },
        )
        assert len(openai_server.requests) == 1  # a timeout is not retried

    def test_the_list_filters_by_project_kind_and_status(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        first, second = InterviewFactory(project__owner=owner), InterviewFactory(project__owner=owner)
        openai_server.reply("One?")
        openai_server.reply(status=500)
        ok, failed = turn(owner_client, first).json(), turn(owner_client, second).json()

        def ids(**query):
            return [job["id"] for job in owner_client.get("/api/v1/jobs/", query).json()["results"]]

        assert ids() == [failed["id"], ok["id"]]  # newest first
        assert ids(project=str(first.project_id)) == [ok["id"]]
        assert ids(status="failed") == [failed["id"]]
        assert ids(kind="interview_message", status="succeeded") == [ok["id"]]
        assert ids(kind="commit_generate") == []
        assert owner_client.get("/api/v1/jobs/", {"status": "done"}).status_code == 400

    def test_the_list_does_not_grow_queries_with_its_length(
        self, owner_client, owner, openai_server, django_assert_max_num_queries
    ):
        ai_model_on(openai_server)
        for _ in range(6):
            openai_server.reply("Next?")
            turn(owner_client, InterviewFactory(project__owner=owner))

        with django_assert_max_num_queries(4):
            assert len(owner_client.get("/api/v1/jobs/").json()["results"]) == 6

    def test_another_users_job_is_not_found(self, owner_client, outsider_client, owner, openai_server):
        ai_model_on(openai_server)
        openai_server.reply("Hello?")
        job = turn(owner_client, InterviewFactory(project__owner=owner)).json()

        assert outsider_client.get("/api/v1/jobs/").json()["results"] == []
        for method, path in [
            ("get", ""),
            ("post", "cancel/"),
            ("get", "events/"),
        ]:
            response = getattr(outsider_client, method)(f"/api/v1/jobs/{job['id']}/{path}")
            assert response.status_code == 404, path
        assert Job.objects.get().status == "succeeded"

    def test_a_finished_job_cannot_be_cancelled(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        openai_server.reply("Hello?")
        job = turn(owner_client, InterviewFactory(project__owner=owner)).json()

        response = owner_client.post(f"/api/v1/jobs/{job['id']}/cancel/")

        assert response.status_code == 409
        assert response.json() == {
            "detail": "The job has already succeeded; only a queued or running job can be cancelled."
        }


@pytest.mark.django_db
class TestIdempotencyKey:
    def test_the_same_key_gives_the_same_job_and_no_second_call(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        interview = InterviewFactory(project__owner=owner)
        openai_server.reply("Who are the users?")

        first = turn(owner_client, interview, **{"Idempotency-Key": "turn-1"})
        again = turn(owner_client, interview, **{"Idempotency-Key": "turn-1"})

        assert finished_job(again) == finished_job(first)
        assert len(openai_server.requests) == 1
        assert [entry["role"] for entry in Interview.objects.get().conversation_data] == ["user", "assistant"]

    def test_a_key_is_per_user(self, owner_client, staff_client, staff, owner, openai_server):
        model = ai_model_on(openai_server)
        openai_server.reply("ok")
        openai_server.reply("ok")

        mine = staff_client.post(f"/api/v1/ai-models/{model.pk}/test/", headers={"Idempotency-Key": "k"})
        theirs = turn(owner_client, InterviewFactory(project__owner=owner), **{"Idempotency-Key": "k"})

        assert finished_job(mine)["id"] != finished_job(theirs)["id"]

    def test_a_key_used_for_another_request_is_a_409(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        interview = InterviewFactory(project__owner=owner)
        openai_server.reply("Who are the users?")
        turn(owner_client, interview, **{"Idempotency-Key": "turn-1"})

        response = turn(owner_client, interview, "Something else", **{"Idempotency-Key": "turn-1"})

        assert response.status_code == 409
        assert "already used for a different request" in response.json()["detail"]
        assert Job.objects.count() == 1

    @pytest.mark.parametrize("key", ["has space", "x" * 256, "caf\u00e9"])
    def test_a_malformed_key_is_a_400_naming_the_header(self, owner_client, owner, openai_server, key):
        ai_model_on(openai_server)

        response = turn(owner_client, InterviewFactory(project__owner=owner), **{"Idempotency-Key": key})

        assert response.status_code == 400
        assert list(response.json()) == ["Idempotency-Key"]
        assert not Job.objects.exists() and openai_server.requests == []


@pytest.mark.django_db
@pytest.mark.usefixtures("queued")
class TestQueued:
    def test_a_queued_job_answers_202_with_its_location(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)

        response = turn(owner_client, InterviewFactory(project__owner=owner))

        job = response.json()
        assert (response.status_code, job["status"], job["attempts"], job["result"]) == (
            202,
            "queued",
            0,
            None,
        )
        assert response["Location"] == f"/api/v1/jobs/{job['id']}/"
        assert openai_server.requests == []

    def test_prefer_wait_waits_at_most_as_long_as_asked(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)

        response = turn(owner_client, InterviewFactory(project__owner=owner), Prefer="respond-async, wait=1")

        assert (response.status_code, response["Preference-Applied"]) == (202, "wait=1")

    def test_a_queued_job_runs_once_when_delivered_twice(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        interview = InterviewFactory(project__owner=owner)
        openai_server.reply("Who are the users?")
        job = turn(owner_client, interview).json()

        execute(job["id"])
        execute(job["id"])  # a finished job is left alone

        assert owner_client.get(f"/api/v1/jobs/{job['id']}/").json()["status"] == "succeeded"
        assert len(openai_server.requests) == 1
        assert JobEvent.objects.filter(type="done").count() == 1

    def test_a_cancelled_job_never_runs(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        interview = InterviewFactory(project__owner=owner)
        job = turn(owner_client, interview).json()

        cancelled = owner_client.post(f"/api/v1/jobs/{job['id']}/cancel/")
        execute(job["id"])

        assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
        assert cancelled.json()["error"] == {
            "code": "job_cancelled",
            "detail": "The job was cancelled.",
            "http_status": 409,
        }
        assert openai_server.requests == []
        assert [e["role"] for e in Interview.objects.get().conversation_data] == ["user"]

    def test_one_turn_at_a_time(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        interview = InterviewFactory(project__owner=owner)
        session = ChatSessionFactory(task__project__owner=owner)
        first = turn(owner_client, interview).json()
        chat = owner_client.post(f"/api/v1/chat-sessions/{session.pk}/messages/", {"content": "Go"}).json()

        interview_again = turn(owner_client, interview, "And more")
        chat_again = owner_client.post(f"/api/v1/chat-sessions/{session.pk}/messages/", {"content": "More"})

        assert interview_again.status_code == chat_again.status_code == 409
        assert first["id"] in interview_again.json()["detail"] and chat["id"] in chat_again.json()["detail"]
        assert Message.objects.count() == 1 and len(Interview.objects.get().conversation_data) == 1

    @pytest.mark.parametrize("action", ["complete", "cancel"])
    def test_an_interview_is_not_closed_while_its_turn_runs(self, owner_client, owner, openai_server, action):
        ai_model_on(openai_server)
        interview = InterviewFactory(project__owner=owner)
        job = turn(owner_client, interview).json()

        refused = owner_client.post(f"/api/v1/interviews/{interview.pk}/{action}/")

        assert refused.status_code == 409 and job["id"] in refused.json()["detail"]
        assert Interview.objects.get().status == "active"

    def test_a_session_is_not_completed_while_its_turn_runs(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        session = ChatSessionFactory(task__project__owner=owner)
        job = owner_client.post(f"/api/v1/chat-sessions/{session.pk}/messages/", {"content": "Go"}).json()

        refused = owner_client.post(f"/api/v1/chat-sessions/{session.pk}/complete/")

        assert refused.status_code == 409 and job["id"] in refused.json()["detail"]
        session.refresh_from_db()
        assert session.status == "active"


@pytest.mark.django_db
def test_an_inline_job_shows_job_results_in_the_jobs_result(owner_client, owner, openai_server):
    ai_model_on(openai_server)
    session = ChatSessionFactory(task__project__owner=owner)
    openai_server.reply("Hello.")

    messages = job_result(
        owner_client.post(f"/api/v1/chat-sessions/{session.pk}/messages/", {"content": "Hi"}), "messages"
    )

    assert [(m["role"], m["content"]) for m in messages] == [("user", "Hi"), ("assistant", "Hello.")]
    assert set(Message.objects.values_list("job", flat=True)) == {Job.objects.get().pk}


@pytest.mark.django_db
def test_a_job_past_its_soft_time_limit_fails_with_job_time_limit(
    monkeypatch, owner_client, owner, openai_server
):
    from celery.exceptions import SoftTimeLimitExceeded

    from jobs import services

    ai_model_on(openai_server)

    def too_long(run):
        raise SoftTimeLimitExceeded

    spec = services.KINDS[InterviewJob.INTERVIEW_MESSAGE]
    monkeypatch.setitem(
        services.KINDS, InterviewJob.INTERVIEW_MESSAGE, dataclasses.replace(spec, handler=too_long)
    )

    response = turn(owner_client, InterviewFactory(project__owner=owner))

    assert finished_job(response)["error"] == {
        "code": "job_time_limit",
        "detail": "The job ran past its time limit.",
        "http_status": 504,
    }
