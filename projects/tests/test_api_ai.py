"""Interview turns and prompt generation, end to end through the real SDKs and local servers."""

import pytest

from aimodels.tests.factories import AIModelFactory
from conftest import ai_model_on, job_error, job_result
from core.testing import refused_before_calling
from projects.jobs import INTERVIEWER_INSTRUCTIONS, PROMPT_WRITER_INSTRUCTIONS
from projects.models import Interview, Prompt
from projects.tests.factories import InterviewFactory


def turn(client, interview, content="We need a shop", **extra):
    return client.post(f"/api/v1/interviews/{interview.pk}/messages/", {"content": content, **extra})


def transcript(interview) -> list[tuple[str, str]]:
    interview.refresh_from_db()
    return [(entry["role"], entry["content"]) for entry in interview.conversation_data]


@pytest.mark.django_db
class TestInterviewTurns:
    def test_a_turn_on_each_protocol(self, owner_client, owner, provider_server):
        ai_model_on(provider_server, name="interviewer", usage_type="interview")
        interview = InterviewFactory(project__owner=owner)
        provider_server.reply("Who are the users?")
        provider_server.reply("What do they buy?")

        first = turn(owner_client, interview)
        second = turn(owner_client, interview, "Shoppers")

        job_result(first, "interview")
        interview_data = job_result(second, "interview")
        assert [(e["role"], e["content"]) for e in interview_data["conversation_data"]] == [
            ("user", "We need a shop"),
            ("assistant", "Who are the users?"),
            ("user", "Shoppers"),
            ("assistant", "What do they buy?"),
        ]
        assert all(entry["created_at"] for entry in interview_data["conversation_data"])
        assert interview_data["ai_model_used"] == "interviewer"
        sent = provider_server.requests[1]
        if provider_server.protocol == "openai":
            assert sent["messages"][0] == {"role": "system", "content": INTERVIEWER_INSTRUCTIONS}
            conversation = sent["messages"][1:]
        else:
            assert sent["system"] == INTERVIEWER_INSTRUCTIONS
            conversation = sent["messages"]
        assert [m["content"] for m in conversation] == ["We need a shop", "Who are the users?", "Shoppers"]

    @pytest.mark.parametrize("status", ["completed", "cancelled"])
    def test_a_finished_interview_refuses_messages(self, owner_client, owner, openai_server, status):
        ai_model_on(openai_server)
        interview = InterviewFactory(project__owner=owner, status=status)

        response = turn(owner_client, interview)

        assert refused_before_calling(response, openai_server) == {
            "detail": f"The interview is {status}; it takes no new messages."
        }
        assert transcript(interview) == []

    @pytest.mark.parametrize(
        ("script", "status", "detail"),
        [
            ({"status": 500}, 502, "AI model 'flaky' answered HTTP 500: the model is on fire"),
            ({"delay": 1.5}, 504, "AI model 'flaky' did not answer in time."),
            (
                {"text": "   "},
                502,
                "AI model 'flaky' did not give a usable answer in two tries: Answer with your next question.",
            ),
        ],
    )
    def test_provider_failures_keep_the_users_message(
        self, owner_client, owner, provider_server, script, status, detail
    ):
        ai_model_on(provider_server, name="flaky", config={"timeout": 0.5, "max_retries": 0})
        interview = InterviewFactory(project__owner=owner)
        provider_server.reply(**script)
        provider_server.reply(**script)  # a degenerate answer is sent back once

        response = turn(owner_client, interview)

        code = {502: "ai_provider_error", 504: "ai_provider_timeout"}[status]
        assert job_error(response) == {"code": code, "detail": detail, "http_status": status}
        assert transcript(interview) == [("user", "We need a shop")]

    def test_a_wrong_key_is_a_502_without_the_key(self, owner_client, owner, openai_server):
        ai_model_on(openai_server, name="locked", api_key="sk-wrong-0000000000-key")
        interview = InterviewFactory(project__owner=owner)

        response = turn(owner_client, interview)

        error = job_error(response)
        assert (error["code"], error["http_status"]) == ("ai_provider_error", 502)
        assert error["detail"].startswith("AI model 'locked' answered HTTP 401")
        assert "sk-wrong" not in response.content.decode()

    def test_complete_and_cancel(self, owner_client, owner):
        interview = InterviewFactory(project__owner=owner)
        other = InterviewFactory(project__owner=owner)

        completed = owner_client.post(f"/api/v1/interviews/{interview.pk}/complete/")
        cancelled = owner_client.post(f"/api/v1/interviews/{other.pk}/cancel/")
        again = owner_client.post(f"/api/v1/interviews/{interview.pk}/cancel/")

        assert (completed.status_code, completed.json()["status"]) == (200, "completed")
        assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
        assert again.status_code == 409
        assert Interview.objects.get(pk=interview.pk).status == "completed"

    @pytest.mark.parametrize("action", ["messages", "complete", "cancel"])
    def test_another_users_interview_is_not_found(self, outsider_client, owner, openai_server, action):
        ai_model_on(openai_server)
        interview = InterviewFactory(project__owner=owner)

        response = outsider_client.post(f"/api/v1/interviews/{interview.pk}/{action}/", {"content": "hi"})

        assert response.status_code == 404
        assert (transcript(interview), Interview.objects.get().status) == ([], "active")


@pytest.mark.django_db
class TestRouting:
    def test_an_explicit_model_wins_and_is_recorded(
        self, owner_client, owner, openai_server, anthropic_server
    ):
        ai_model_on(openai_server, usage_type="interview")
        chosen = ai_model_on(anthropic_server, name="claude", usage_type="general")
        interview = InterviewFactory(project__owner=owner)
        anthropic_server.reply("Hello from Claude: who are your users?")

        response = turn(owner_client, interview, ai_model=str(chosen.pk))

        assert job_result(response, "interview")["ai_model_used"] == "claude"
        assert response.json()["ai_model"] == str(chosen.pk)
        assert openai_server.requests == []

    def test_the_general_model_is_the_fallback(self, owner_client, owner, openai_server):
        ai_model_on(openai_server, name="fallback", usage_type="general")
        ai_model_on(openai_server, name="other-use", usage_type="commit_generation")
        openai_server.reply("Hi, who are your users?")

        response = turn(owner_client, InterviewFactory(project__owner=owner))

        assert job_result(response, "interview")["ai_model_used"] == "fallback"

    def test_an_inactive_explicit_model_is_a_400(self, owner_client, owner):
        off = AIModelFactory(name="off", is_active=False)
        interview = InterviewFactory(project__owner=owner)

        response = turn(owner_client, interview, ai_model=str(off.pk))

        assert response.status_code == 400
        assert response.json() == {"ai_model": ["AI model 'off' is not active."]}
        assert transcript(interview) == []

    def test_nothing_configured_is_a_409_and_stores_nothing(self, owner_client, owner):
        AIModelFactory(usage_type="interview", is_active=False)
        interview = InterviewFactory(project__owner=owner)

        response = turn(owner_client, interview)

        assert response.status_code == 409
        assert "No active AI model for 'interview' or 'general'" in response.json()["detail"]
        assert transcript(interview) == []


@pytest.mark.django_db
class TestPromptGeneration:
    def test_writes_version_one_from_the_transcript(self, owner_client, owner, provider_server):
        ai_model_on(provider_server, name="writer", usage_type="prompt_generation")
        interview = InterviewFactory(
            project__owner=owner,
            conversation_data=[
                {"role": "user", "content": "We need a shop"},
                {"role": "assistant", "content": "For whom?"},
            ],
        )
        provider_server.reply("Build a shop for shoppers.")

        response = owner_client.post(
            "/api/v1/prompts/generate/", {"interview": str(interview.pk), "type": "spec"}
        )

        prompt = Prompt.objects.get()
        assert job_result(response, "prompt")["id"] == str(prompt.pk)
        assert (prompt.content, prompt.type, prompt.version) == ("Build a shop for shoppers.", "spec", 1)
        assert (prompt.created_from_interview, prompt.project) == (interview, interview.project)
        sent = provider_server.requests[0]
        user_turn = sent["messages"][-1]["content"]
        assert user_turn == "user: We need a shop\n\nassistant: For whom?"
        system = sent["messages"][0]["content"] if provider_server.protocol == "openai" else sent["system"]
        assert system == PROMPT_WRITER_INSTRUCTIONS

    def test_an_empty_interview_is_a_400(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        interview = InterviewFactory(project__owner=owner)

        response = owner_client.post("/api/v1/prompts/generate/", {"interview": str(interview.pk)})

        assert response.status_code == 400
        assert response.json() == {"interview": ["The interview has no messages yet."]}
        assert openai_server.requests == []

    def test_a_provider_error_stores_nothing(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        interview = InterviewFactory(
            project__owner=owner, conversation_data=[{"role": "user", "content": "x"}]
        )
        openai_server.reply(status=500)

        response = owner_client.post("/api/v1/prompts/generate/", {"interview": str(interview.pk)})

        assert job_error(response)["http_status"] == 502
        assert not Prompt.objects.exists()

    def test_another_users_interview_is_refused(self, outsider_client, owner, openai_server):
        ai_model_on(openai_server)
        interview = InterviewFactory(
            project__owner=owner, conversation_data=[{"role": "user", "content": "x"}]
        )

        response = outsider_client.post("/api/v1/prompts/generate/", {"interview": str(interview.pk)})

        assert response.status_code == 400
        assert list(response.json()) == ["interview"]
        assert openai_server.requests == []


@pytest.mark.django_db
@pytest.mark.parametrize(("finish", "truncated"), [(None, False), ("length", True)])
def test_an_interview_reply_keeps_its_finish_reason(owner_client, owner, provider_server, finish, truncated):
    ai_model_on(provider_server, usage_type="interview")
    interview = InterviewFactory(project__owner=owner)
    provider_server.reply("Who are your users? And what", finish=finish)

    entry = job_result(turn(owner_client, interview), "interview")["conversation_data"][-1]

    assert (entry["role"], entry["finish_reason"], entry["truncated"]) == (
        "assistant",
        finish or "stop",
        truncated,
    )
