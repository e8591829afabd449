import time

import pytest

from aimodels.gateway import AIProviderError, AIProviderTimeout, ToolSpec, complete, resolve_ai_model
from aimodels.gateway.base import AIModelUnavailable
from aimodels.models import SystemSettings
from aimodels.tests.factories import AIModelFactory
from aimodels.tests.fake_providers import USAGE
from conftest import ai_model_on
from core.testing import rebinding_dns

LIST_TASKS = ToolSpec(
    name="list_tasks",
    description="List tasks",
    parameters={"type": "object", "properties": {"status": {"type": "string"}}},
)


@pytest.mark.django_db
class TestComplete:
    def test_text_and_usage(self, provider_server):
        model = ai_model_on(provider_server, config={"temperature": 0.1, "system_prompt": "Be terse."})
        provider_server.reply("Hello there")

        completion = complete(model, messages=[{"role": "user", "content": "Hi"}])

        assert completion.text == "Hello there"
        assert completion.tool_calls == []
        assert completion.usage == USAGE
        sent = provider_server.requests[0]
        assert sent["temperature"] == 0.1
        if provider_server.protocol == "openai":
            assert sent["messages"] == [
                {"role": "system", "content": "Be terse."},
                {"role": "user", "content": "Hi"},
            ]
        else:
            assert sent["system"] == "Be terse."
            assert sent["messages"] == [{"role": "user", "content": "Hi"}]

    def test_tool_calls_round_trip(self, provider_server):
        model = ai_model_on(provider_server)
        provider_server.reply("Looking", tool_calls=[{"name": "list_tasks", "arguments": {"status": "todo"}}])
        provider_server.reply("Two tasks")

        first = complete(model, messages=[{"role": "user", "content": "What is open?"}], tools=[LIST_TASKS])
        call = first.tool_calls[0]
        second = complete(
            model,
            messages=[
                {"role": "user", "content": "What is open?"},
                {"role": "assistant", "content": first.text, "tool_calls": first.tool_calls},
                {"role": "tool", "tool_call_id": call.id, "content": '{"tasks": 2}'},
            ],
            tools=[LIST_TASKS],
        )

        assert (call.name, call.arguments) == ("list_tasks", {"status": "todo"})
        assert second.text == "Two tasks"
        sent = provider_server.requests[1]
        if provider_server.protocol == "openai":
            assert sent["tools"][0]["function"]["name"] == "list_tasks"
            assert sent["messages"][1]["tool_calls"][0]["id"] == call.id
            assert sent["messages"][2] == {"role": "tool", "tool_call_id": call.id, "content": '{"tasks": 2}'}
        else:
            assert sent["tools"][0]["input_schema"] == LIST_TASKS.parameters
            assert sent["messages"][1]["content"][1]["type"] == "tool_use"
            assert sent["messages"][2] == {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call.id, "content": '{"tasks": 2}'}],
            }

    def test_provider_500_is_a_502_naming_the_model(self, provider_server):
        model = ai_model_on(provider_server, name="flaky")
        provider_server.reply(status=500)

        with pytest.raises(AIProviderError) as excinfo:
            complete(model, messages=[{"role": "user", "content": "Hi"}])
        assert excinfo.value.status_code == 502
        assert str(excinfo.value.detail).startswith("AI model 'flaky' answered HTTP 500")

    def test_timeout_is_a_504(self, provider_server):
        model = ai_model_on(provider_server, name="slow", config={"timeout": 0.3, "max_retries": 0})
        provider_server.reply("late", delay=1.5)

        with pytest.raises(AIProviderTimeout) as excinfo:
            complete(model, messages=[{"role": "user", "content": "Hi"}])
        assert excinfo.value.status_code == 504
        assert str(excinfo.value.detail) == "AI model 'slow' did not answer in time."

    def test_unreachable_is_a_504(self):
        model = AIModelFactory(
            name="gone", base_url="http://127.0.0.1:9/v1", config={"timeout": 1, "max_retries": 0}
        )

        with pytest.raises(AIProviderTimeout, match="AI model 'gone' could not be reached."):
            complete(model, messages=[{"role": "user", "content": "Hi"}])

    def test_wrong_key_is_a_502_that_never_shows_the_key(self, provider_server):
        model = ai_model_on(provider_server, name="locked")
        model.api_key = "sk-wrong-key-0000000000-zzzz"

        with pytest.raises(AIProviderError) as excinfo:
            complete(model, messages=[{"role": "user", "content": "Hi"}])
        assert "HTTP 401" in str(excinfo.value.detail)
        assert model.api_key not in str(excinfo.value.detail)


@pytest.mark.django_db
class TestRouting:
    def test_requested_then_usage_then_general(self):
        general = AIModelFactory(usage_type="general")
        interviewer = AIModelFactory(usage_type="interview")
        AIModelFactory(usage_type="interview", is_active=False)

        assert resolve_ai_model(usage_type="interview", requested=general) == general
        assert resolve_ai_model(usage_type="interview") == interviewer
        assert resolve_ai_model(usage_type="commit_generation") == general

    def test_nothing_configured_is_a_409_saying_what_to_configure(self):
        AIModelFactory(usage_type="general", is_active=False)

        with pytest.raises(AIModelUnavailable) as excinfo:
            resolve_ai_model(usage_type="interview")
        assert excinfo.value.status_code == 409
        assert "No active AI model for 'interview' or 'general'" in str(excinfo.value.detail)


@pytest.mark.django_db
def test_a_provider_is_never_called_inside_a_transaction(openai_server):
    from django.db import transaction

    model = ai_model_on(openai_server)
    openai_server.reply("hi")

    with (
        pytest.raises(RuntimeError, match="never called inside a database transaction"),
        transaction.atomic(),
    ):
        complete(model, messages=[{"role": "user", "content": "Hi"}])
    assert openai_server.requests == []


HI = [{"role": "user", "content": "Hi"}]


@pytest.mark.django_db
class TestRealModelBehaviour:
    def test_every_call_sends_a_max_tokens_from_the_setting_unless_the_model_sets_one(self, provider_server):
        default, capped = (
            ai_model_on(provider_server),
            ai_model_on(provider_server, config={"max_tokens": 64}),
        )
        for _ in range(3):
            provider_server.reply("ok")

        complete(default, messages=HI)
        SystemSettings.objects.create(key="ai.default_max_tokens", value=300)
        complete(default, messages=HI)
        complete(capped, messages=HI)

        assert [request["max_tokens"] for request in provider_server.requests] == [1024, 300, 64]

    def test_tools_are_offered_with_tool_choice(self, provider_server):
        model = ai_model_on(provider_server)
        provider_server.reply("ok")
        provider_server.reply("ok")
        provider_server.reply("ok")

        complete(model, messages=HI, tools=[LIST_TASKS])
        complete(model, messages=HI, tools=[LIST_TASKS], tool_choice="none")
        complete(model, messages=HI)

        auto, none = (
            ("auto", "none") if provider_server.protocol == "openai" else ({"type": "auto"}, {"type": "none"})
        )
        assert [request.get("tool_choice") for request in provider_server.requests] == [auto, none, None]

    def test_a_timeout_is_never_retried(self, provider_server):
        model = ai_model_on(provider_server, config={"timeout": 0.5, "max_retries": 3})
        provider_server.reply("late", delay=1.0)
        provider_server.reply("late", delay=1.0)
        started = time.monotonic()

        with pytest.raises(AIProviderTimeout):
            complete(model, messages=HI)

        assert len(provider_server.requests) == 1
        assert time.monotonic() - started < 0.9

    @pytest.mark.parametrize("status", [429, 500, 503, 529])
    def test_overload_and_server_errors_are_retried(self, provider_server, status):
        model = ai_model_on(provider_server, config={"timeout": 5, "max_retries": 1})
        provider_server.reply(status=status, retry_after=0.05)
        provider_server.reply("ok")

        assert complete(model, messages=HI).text == "ok"
        assert len(provider_server.requests) == 2

    def test_retry_after_is_honoured(self, provider_server):
        model = ai_model_on(provider_server, config={"timeout": 5, "max_retries": 1})
        provider_server.reply(status=429, retry_after=0.4)
        provider_server.reply("ok")
        started = time.monotonic()

        complete(model, messages=HI)

        assert time.monotonic() - started >= 0.4

    def test_a_wait_past_the_timeout_is_not_made(self, provider_server):
        model = ai_model_on(provider_server, name="busy", config={"timeout": 1, "max_retries": 2})
        provider_server.reply(status=429, retry_after=30)
        started = time.monotonic()

        with pytest.raises(AIProviderError) as raised:  # the attempt's own error, not a timeout
            complete(model, messages=HI)

        assert len(provider_server.requests) == 1
        assert time.monotonic() - started < 1
        assert (raised.value.provider_status, raised.value.temporary) == (429, True)
        assert str(raised.value.detail).startswith("AI model 'busy' answered HTTP 429: ")
        assert str(raised.value.detail).endswith(
            "; not tried again, as waiting 30 s first would end past the model's timeout."
        )

    def test_client_errors_are_not_retried(self, provider_server):
        model = ai_model_on(provider_server, config={"timeout": 5, "max_retries": 2})
        provider_server.reply(status=400)

        with pytest.raises(AIProviderError):
            complete(model, messages=HI)
        assert len(provider_server.requests) == 1

    def test_a_redirect_is_not_followed(self, provider_server):
        model = ai_model_on(provider_server, config={"timeout": 5, "max_retries": 2})
        provider_server.reply(status=307)

        with pytest.raises(AIProviderError, match="answered HTTP 307"):
            complete(model, messages=HI)
        assert len(provider_server.requests) == 1

    def test_connection_errors_are_retried_within_the_timeout(self):
        model = AIModelFactory(base_url="http://127.0.0.1:9/v1", config={"timeout": 1.2, "max_retries": 5})
        started = time.monotonic()

        with pytest.raises(AIProviderTimeout):
            complete(model, messages=HI)

        assert 0.5 <= time.monotonic() - started < 1.3  # waited 0.5 s, then gave up before 1.2 s

    @pytest.mark.parametrize(
        ("finish", "reason", "truncated"), [(None, "stop", False), ("length", "length", True)]
    )
    def test_the_finish_reason_in_one_vocabulary(self, provider_server, finish, reason, truncated):
        model = ai_model_on(provider_server)
        provider_server.reply("An answer that", finish=finish)

        completion = complete(model, messages=HI)

        assert (completion.finish_reason, completion.truncated) == (reason, truncated)


@pytest.mark.django_db
def test_the_call_goes_to_the_address_that_was_checked(openai_server, monkeypatch):
    """A base URL whose name resolves to an allowed address when checked and to the metadata
    address right after (DNS rebinding) is still called at the address that was checked."""
    port = int(openai_server.base_url.split(":")[2].split("/")[0])
    model = ai_model_on(openai_server)
    model.base_url = f"http://models.test:{port}/v1"
    openai_server.reply("ok")
    answers = rebinding_dns(monkeypatch, "models.test", port, ["127.0.0.1"] + ["169.254.169.254"] * 20)

    assert complete(model, messages=HI).text == "ok"
    assert openai_server.requests and next(answers) == "169.254.169.254"
