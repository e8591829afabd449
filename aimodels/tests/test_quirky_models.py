"""AI steps that hold with slow, weak and quirky models, against local stand-ins that stream
the way real servers were seen to (keep-alives, pings, empty streams, cut and dropped
streams, no usage, a function name repeated in every chunk), through the real SDKs."""

import time

import pytest

from chat.models import ToolCall
from chat.tests.factories import ChatSessionFactory
from conftest import ai_model_on, finished_job, job_error
from jobs.models import JobEvent, ModelCall
from kanban.models import Task
from kanban.planning import BRIEF_TOOL
from kanban.tests.factories import TaskFactory
from kanban.tests.test_ai_planning import SHOP_PLAN, planned, submit
from kanban.tests.test_brief_draft import DRAFT
from projects.tests.factories import InterviewFactory, ProjectFactory, PromptFactory

pytestmark = pytest.mark.django_db

QUESTION = "Who will use the shop?"


def turn(client, interview):
    return client.post(f"/api/v1/interviews/{interview.pk}/messages/", {"content": "A shop"})


def submit_subtasks() -> dict:
    return submit("submit_subtasks", planned(1, "Style the cart"), planned(2, "Test the cart"))["arguments"]


def calls(job) -> list[tuple]:
    return [(call["error"]["code"] if call["error"] else None) for call in job["model_calls"]]


class TestOneDeadline:
    """A model's timeout bounds the whole call, whatever the stream sends."""

    def test_keep_alives_do_not_stretch_a_text_answer(self, owner_client, owner, provider_server):
        ai_model_on(provider_server, config={"timeout": 1, "max_retries": 0})
        provider_server.reply(QUESTION, stall=3)

        error = job_error(turn(owner_client, InterviewFactory(project__owner=owner)))

        assert (error["code"], error["http_status"]) == ("ai_provider_timeout", 504)
        assert ModelCall.objects.get().latency_ms < 2000  # the deadline (1 s), not the stall (3 s)

    def test_a_tool_call_after_the_deadline_is_not_executed(self, owner_client, owner, provider_server):
        ai_model_on(provider_server, config={"timeout": 1, "max_retries": 0})
        session = ChatSessionFactory(task__project__owner=owner)
        call = {"name": "create_task", "arguments": {"title": "Late"}}
        provider_server.reply("Adding it.", tool_calls=[call], stall=3, stall_at="tools")

        response = owner_client.post(f"/api/v1/chat-sessions/{session.pk}/messages/", {"content": "Add it"})

        assert job_error(response)["code"] == "ai_provider_timeout"
        assert not Task.objects.filter(title="Late").exists() and not ToolCall.objects.exists()

    def test_a_stalled_plan_writes_nothing(self, owner_client, owner, provider_server):
        ai_model_on(provider_server, usage_type="task_planning", config={"timeout": 1, "max_retries": 0})
        prompt = PromptFactory(project__owner=owner, content="A shop")
        provider_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)], stall=3, stall_at="tools")

        error = job_error(owner_client.post(f"/api/v1/prompts/{prompt.pk}/plan/", {}))

        assert error["code"] == "ai_provider_timeout" and not Task.objects.exists()

    @pytest.mark.parametrize("first", ["unstreamed", "empty stream"])
    def test_an_answer_not_streamed_is_bounded_too(self, owner_client, owner, provider_server, first):
        """`stream_tools: false`, or the unstreamed retry after an empty tool stream: a server
        that keeps the connection open with blanks before its JSON is cut at the deadline."""
        config = {"timeout": 1.5, "max_retries": 0, "stream_tools": first == "empty stream"}
        ai_model_on(provider_server, usage_type="task_planning", config=config)
        prompt = PromptFactory(project__owner=owner, content="A shop")
        if first == "empty stream":
            provider_server.reply(empty=True)
        provider_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)], stall=4)

        started = time.monotonic()
        job = finished_job(owner_client.post(f"/api/v1/prompts/{prompt.pk}/plan/", {}))

        assert job["error"]["code"] == "ai_provider_timeout" and not Task.objects.exists()
        assert not provider_server.requests[-1].get("stream")
        assert time.monotonic() - started < 3  # the deadline (1.5 s), not the stall (4 s)
        assert ModelCall.objects.last().latency_ms > 0


class TestEveryAttemptRecorded:
    def test_a_retried_500_is_a_failed_call_of_its_own(self, owner_client, owner, provider_server):
        ai_model_on(provider_server, config={"timeout": 5, "max_retries": 1})
        provider_server.reply(status=500)
        provider_server.reply(QUESTION)
        interview = InterviewFactory(project__owner=owner)

        job = finished_job(turn(owner_client, interview))

        assert job["status"] == "succeeded"
        assert calls(job) == ["ai_provider_error", None]
        assert (job["usage"]["calls"], job["usage"]["failed_calls"]) == (2, 1)
        usage = owner_client.get(f"/api/v1/projects/{interview.project_id}/usage/").json()["total"]
        assert (usage["calls"], usage["failed_calls"]) == (2, 1)

    def test_a_retry_whose_wait_runs_past_the_deadline_is_recorded_with_its_own_error(
        self, owner_client, owner, provider_server
    ):
        ai_model_on(provider_server, name="busy", config={"timeout": 3, "max_retries": 2})
        provider_server.reply(status=429, retry_after=10)

        job = finished_job(turn(owner_client, InterviewFactory(project__owner=owner)))

        (call,) = ModelCall.objects.all()
        assert (job["error"]["code"], job["error"]["http_status"]) == ("ai_provider_error", 502)
        assert call.error["detail"] == job["error"]["detail"]
        assert call.error["detail"].startswith("AI model 'busy' answered HTTP 429: ")
        assert call.error["detail"].endswith(
            "not tried again, as waiting 10 s first would end past the model's timeout."
        )
        assert len(provider_server.requests) == 1 and call.latency_ms < 3000


class TestHonestStreamOutcomes:
    def test_an_empty_stream_is_a_provider_error_that_is_retried(self, owner_client, owner, provider_server):
        ai_model_on(provider_server, name="quiet", config={"timeout": 5, "max_retries": 1})
        provider_server.reply(empty=True)
        provider_server.reply(QUESTION)

        job = finished_job(turn(owner_client, InterviewFactory(project__owner=owner)))

        assert job["status"] == "succeeded" and calls(job) == ["ai_provider_error", None]
        assert ModelCall.objects.first().error["detail"] == (
            "AI model 'quiet': the stream ended early, with no answer."
        )

    def test_a_stream_cut_off_without_a_finish_reason_is_not_a_good_answer(
        self, owner_client, owner, provider_server
    ):
        ai_model_on(provider_server, name="cut", config={"timeout": 5, "max_retries": 0})
        provider_server.reply("Who will use the shop, and", cut=True)

        error = job_error(turn(owner_client, InterviewFactory(project__owner=owner)))

        assert error["code"] == "ai_provider_error"
        # six pieces of text streamed; OpenAI's first chunk, which only names the role, is none
        assert (
            error["detail"]
            == "AI model 'cut': the stream ended early, after 6 tokens, with no finish reason."
        )

    def test_a_cut_text_stream_is_retried_and_only_the_whole_answer_kept(
        self, owner_client, owner, provider_server
    ):
        ai_model_on(provider_server, name="cut", config={"timeout": 5, "max_retries": 1})
        interview = InterviewFactory(project__owner=owner)
        provider_server.reply("Who will use the shop, and", cut=True)
        provider_server.reply(QUESTION)

        job = finished_job(turn(owner_client, interview))

        assert job["status"] == "succeeded" and calls(job) == ["ai_provider_error", None]
        assert len(provider_server.requests) == 2
        interview.refresh_from_db()
        assert interview.conversation_data[-1]["content"] == QUESTION
        (retry,) = JobEvent.objects.filter(job_id=job["id"], data__has_key="retry")
        assert retry.data["retry"] == {"ai_model": "cut", "error": "ai_provider_error"}

    def test_a_cut_tool_stream_is_retried(self, owner_client, owner, provider_server):
        ai_model_on(provider_server, usage_type="task_planning", config={"timeout": 5, "max_retries": 1})
        prompt = PromptFactory(project__owner=owner, content="A shop")
        provider_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)], cut=True, cut_at="tools")
        provider_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)])

        job = finished_job(owner_client.post(f"/api/v1/prompts/{prompt.pk}/plan/", {}))

        assert job["status"] == "succeeded" and Task.objects.count() == 3
        assert calls(job) == ["ai_provider_error", None]
        assert job["model_calls"][0]["error"]["detail"].endswith("after 1 token, with no finish reason.")

    def test_a_stream_that_only_named_the_role_ended_after_no_token(
        self, owner_client, owner, provider_server
    ):
        ai_model_on(provider_server, name="cut", config={"timeout": 5, "max_retries": 0})
        provider_server.reply("", cut=True)  # OpenAI: the role chunk; Anthropic: message_start

        error = job_error(turn(owner_client, InterviewFactory(project__owner=owner)))

        assert (
            error["detail"]
            == "AI model 'cut': the stream ended early, after 0 tokens, with no finish reason."
        )

    def test_a_dropped_connection_says_so_and_is_retried(self, owner_client, owner, provider_server):
        ai_model_on(provider_server, name="flaky", config={"timeout": 5, "max_retries": 1})
        interview = InterviewFactory(project__owner=owner)
        # two pieces of text, after the role chunk (OpenAI) or message_start and the block's start
        drop_after = 3 if provider_server.protocol == "openai" else 4
        provider_server.reply("Who will use the shop first?", drop=True, drop_after=drop_after)
        provider_server.reply(QUESTION)

        job = finished_job(turn(owner_client, interview))

        assert job["status"] == "succeeded" and calls(job) == ["ai_provider_error", None]
        assert (
            job["model_calls"][0]["error"]["detail"]
            == "The connection to AI model 'flaky' dropped after 2 tokens."
        )
        interview.refresh_from_db()
        assert interview.conversation_data[-1]["content"] == QUESTION

    @pytest.mark.parametrize(("drop_after", "tokens"), [(1, "0 tokens"), (3, "1 token")])
    def test_a_connection_dropped_before_text_or_mid_tool_call_is_not_unreachable(
        self, owner_client, owner, provider_server, drop_after, tokens
    ):
        """Once the server answered, a drop is a drop: after the first event, or halfway through
        a tool call's arguments (its first half, one piece, on both protocols)."""
        ai_model_on(provider_server, name="flaky", usage_type="task_planning")
        prompt = PromptFactory(project__owner=owner, content="A shop")
        plan = submit("submit_plan", *SHOP_PLAN)
        provider_server.reply(tool_calls=[plan], drop=True, drop_after=drop_after)

        error = job_error(owner_client.post(f"/api/v1/prompts/{prompt.pk}/plan/", {}))

        assert (error["code"], error["detail"]) == (
            "ai_provider_error",
            f"The connection to AI model 'flaky' dropped after {tokens}.",
        )

    def test_token_counts_not_reported_are_unknown_not_zero(self, owner_client, owner, openai_server):
        ai_model_on(openai_server, model="gpt-4o", config={"timeout": 5, "max_retries": 0})
        openai_server.reply(QUESTION, no_usage=True)

        job = finished_job(turn(owner_client, InterviewFactory(project__owner=owner)))

        (call,) = job["model_calls"]
        assert (call["input_tokens"], call["output_tokens"], call["cost"]) == (None, None, None)
        assert call["price_source"] == "unknown (no token counts)"
        assert (job["usage"]["input_tokens"], job["usage"]["unknown_token_calls"], job["cost"]) == (
            None,
            1,
            None,
        )


class TestToolAnswersWeakModelsCanGive:
    def test_planning_forces_its_tool(self, owner_client, owner, provider_server):
        ai_model_on(provider_server, usage_type="task_planning")
        prompt = PromptFactory(project__owner=owner, content="A shop")
        provider_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)])

        finished_job(owner_client.post(f"/api/v1/prompts/{prompt.pk}/plan/", {}))

        choice = provider_server.requests[0]["tool_choice"]
        if provider_server.protocol == "openai":
            assert choice == {"type": "function", "function": {"name": "submit_plan"}}
        else:
            assert choice == {"type": "tool", "name": "submit_plan"}

    @pytest.mark.parametrize("job", ["expand", "complexity", "brief"])
    def test_every_job_that_needs_one_tool_answer_forces_it(self, owner_client, owner, provider_server, job):
        ai_model_on(provider_server, usage_type="task_planning")
        task = TaskFactory(project__owner=owner, title="Build the cart")
        answers = {
            "expand": ("submit_subtasks", f"/api/v1/tasks/{task.pk}/expand/", submit_subtasks()),
            "complexity": (
                "submit_complexity",
                f"/api/v1/projects/{task.project_id}/analyze-complexity/",
                {"tasks": [{"task_id": str(task.pk), "complexity": 5, "reason": "Medium.", "expand": False}]},
            ),
            "brief": ("submit_brief", f"/api/v1/tasks/{task.pk}/draft-brief/", DRAFT),
        }
        name, url, arguments = answers[job]
        provider_server.reply(tool_calls=[{"name": name, "arguments": arguments}])

        assert finished_job(owner_client.post(url, {}))["status"] == "succeeded"

        choice = provider_server.requests[0]["tool_choice"]
        if provider_server.protocol == "openai":
            assert choice == {"type": "function", "function": {"name": name}}
        else:
            assert choice == {"type": "tool", "name": name}

    def test_a_name_repeated_in_every_chunk_is_recognised(self, owner_client, owner, openai_server):
        ai_model_on(openai_server, usage_type="task_planning")
        prompt = PromptFactory(project__owner=owner, content="A shop")
        openai_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)], repeat_name=True)

        job = finished_job(owner_client.post(f"/api/v1/prompts/{prompt.pk}/plan/", {}))

        assert job["status"] == "succeeded" and Task.objects.count() == 3

    def test_stream_tools_false_asks_without_streaming(self, owner_client, owner, provider_server):
        ai_model_on(provider_server, usage_type="task_planning", config={"stream_tools": False})
        prompt = PromptFactory(project__owner=owner, content="A shop")
        provider_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)])

        job = finished_job(owner_client.post(f"/api/v1/prompts/{prompt.pk}/plan/", {}))

        assert job["status"] == "succeeded" and Task.objects.count() == 3
        assert not provider_server.requests[0].get("stream")

    def test_an_empty_tool_stream_is_asked_again_without_streaming(
        self, owner_client, owner, provider_server
    ):
        ai_model_on(provider_server, usage_type="task_planning", config={"timeout": 5, "max_retries": 0})
        prompt = PromptFactory(project__owner=owner, content="A shop")
        provider_server.reply(empty=True)  # llama.cpp: tools with "auto" cannot be streamed
        provider_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)])

        job = finished_job(owner_client.post(f"/api/v1/prompts/{prompt.pk}/plan/", {}))

        assert job["status"] == "succeeded" and Task.objects.count() == 3
        assert [bool(r.get("stream")) for r in provider_server.requests] == [True, False]
        assert calls(job) == ["ai_provider_error", None]  # the empty stream is recorded

    def test_the_schemas_carry_the_serializers_rules(self, owner_client, owner, openai_server):
        ai_model_on(openai_server, usage_type="task_planning")
        project = ProjectFactory(owner=owner)
        tasks = TaskFactory.create_batch(2, project=project)
        scores = [
            {"task_id": str(task.pk), "complexity": 5, "reason": "Medium.", "expand": False} for task in tasks
        ]
        openai_server.reply(tool_calls=[{"name": "submit_complexity", "arguments": {"tasks": scores}}])
        openai_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)])

        owner_client.post(f"/api/v1/projects/{project.pk}/analyze-complexity/", {})
        owner_client.post(f"/api/v1/prompts/{PromptFactory(project=project).pk}/plan/", {})

        complexity, plan = (
            request["tools"][0]["function"]["parameters"] for request in openai_server.requests
        )
        listed = complexity["properties"]["tasks"]
        assert (listed["minItems"], listed["maxItems"]) == (2, 2)
        assert set(listed["items"]["properties"]["task_id"]["enum"]) == {str(task.pk) for task in tasks}
        assert plan["properties"]["tasks"]["minItems"] == 1
        planned = plan["properties"]["tasks"]["items"]["properties"]
        assert planned["title"]["minLength"] == 1
        assert (planned["id"]["minimum"], planned["id"]["maximum"]) == (1, 50)
        dependencies = planned["dependencies"]
        assert (dependencies["maxItems"], dependencies["uniqueItems"]) == (49, True)
        assert (dependencies["items"]["minimum"], dependencies["items"]["maximum"]) == (1, 50)

    def test_the_brief_schema_refuses_blank_text_where_the_serializer_does(self):
        brief = BRIEF_TOOL.parameters["properties"]
        recommendation = brief["recommendation"]["properties"]

        assert brief["summary"]["minLength"] == brief["test_plan"]["minLength"] == 1
        assert brief["acceptance_criteria"]["items"]["minLength"] == 1
        assert (recommendation["solution"]["minLength"], "minLength" in recommendation["risks"]) == (1, False)


class TestDegenerateOutput:
    """Sent back once with the complaint, then a failed job with the reason; nothing stored."""

    def test_an_interview_reply_with_no_question(self, owner_client, owner, openai_server):
        ai_model_on(openai_server, name="chatty")
        interview = InterviewFactory(project__owner=owner)
        openai_server.reply("Great, a shop.")
        openai_server.reply(QUESTION)

        job = finished_job(turn(owner_client, interview))

        assert job["status"] == "succeeded"
        assert openai_server.requests[1]["messages"][-1]["content"].startswith(
            "Ask the user your next question"
        )
        interview.refresh_from_db()
        assert interview.conversation_data[-1]["content"] == QUESTION

    def test_a_prompt_that_echoes_the_transcript(self, owner_client, owner, openai_server):
        ai_model_on(openai_server, name="parrot")
        interview = InterviewFactory(
            project__owner=owner, conversation_data=[{"role": "user", "content": "A shop", "created_at": "x"}]
        )
        openai_server.reply("user: A shop")
        openai_server.reply("user: A shop")

        response = owner_client.post("/api/v1/prompts/generate/", {"interview": str(interview.pk)})

        error = job_error(response)
        assert error["detail"].startswith("AI model 'parrot' did not give a usable answer in two tries: ")
        assert "repeats the interview" in error["detail"]
        assert not interview.prompts.exists()

    def test_subtasks_that_repeat_the_parents_title(self, owner_client, owner, openai_server):
        ai_model_on(openai_server, usage_type="task_planning", name="lazy")
        task = TaskFactory(project__owner=owner, title="Build the cart")
        same = submit("submit_subtasks", planned(1, "Build the cart"), planned(2, "Style it"))
        openai_server.reply(tool_calls=[same])
        openai_server.reply(tool_calls=[same])

        error = job_error(owner_client.post(f"/api/v1/tasks/{task.pk}/expand/", {}))

        assert "repeats the task's own title" in error["detail"] and not task.subtasks.exists()

    def test_a_plan_with_duplicate_titles(self, owner_client, owner, openai_server):
        ai_model_on(openai_server, usage_type="task_planning")
        prompt = PromptFactory(project__owner=owner, content="A shop")
        twice = submit("submit_plan", planned(1, "Build the cart"), planned(2, "build the  cart"))
        openai_server.reply(tool_calls=[twice])
        openai_server.reply(tool_calls=[submit("submit_plan", *SHOP_PLAN)])

        job = finished_job(owner_client.post(f"/api/v1/prompts/{prompt.pk}/plan/", {}))

        assert job["status"] == "succeeded" and Task.objects.count() == 3
        complaint = openai_server.requests[1]["messages"][-1]["content"]
        assert "Each task needs its own title; repeated: build the cart" in complaint
