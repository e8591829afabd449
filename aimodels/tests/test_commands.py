import io
import re

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from aimodels.models import AIModel
from aimodels.tests.factories import AIModelFactory
from aimodels.tests.test_models import raw_api_key
from conftest import ai_model_on

SECRET = "sk-command-0123456789-abcd"


def run(command, *args, stdin_text=None, monkeypatch=None) -> str:
    if stdin_text is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin_text))
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class TestRotateEncryptionKeys:
    def test_re_encrypts_with_the_first_key_and_is_safe_to_run_twice(self, settings):
        old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        settings.FIELD_ENCRYPTION_KEYS = [old_key]
        models = [AIModelFactory(api_key=f"{SECRET}-{n}") for n in range(3)]
        AIModelFactory(api_key="")
        settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

        first = run("rotate_encryption_keys")
        second = run("rotate_encryption_keys")

        assert first.strip() == "Re-encrypted 3 of 3 stored API keys with the first key."
        assert second.strip() == "Re-encrypted 0 of 3 stored API keys with the first key."
        settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key can go now
        for n, model in enumerate(models):
            assert Fernet(new_key.encode()).decrypt(raw_api_key(model).encode()).decode() == f"{SECRET}-{n}"
            assert AIModel.objects.get(pk=model.pk).api_key == f"{SECRET}-{n}"

    def test_a_key_no_configured_key_opens_is_a_clear_error(self, settings):
        settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
        AIModelFactory(api_key=SECRET)
        settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

        with pytest.raises(CommandError, match="cannot be decrypted"):
            run("rotate_encryption_keys")


@pytest.mark.django_db
class TestAddAIModel:
    ARGS = [
        "local",
        "--provider",
        "openai_compatible",
        "--model",
        "llama3.2",
        "--base-url",
        "http://localhost:11434/v1",
    ]

    def test_creates_with_the_key_from_stdin(self, monkeypatch):
        out = run(
            "add_ai_model",
            *self.ARGS,
            "--config",
            '{"temperature": 0.3}',
            stdin_text=f"{SECRET}\n",
            monkeypatch=monkeypatch,
        )

        model = AIModel.objects.get(name="local")
        assert (model.provider, model.model, model.api_key, model.config) == (
            "openai_compatible", "llama3.2", SECRET, {"temperature": 0.3},
        )  # fmt: skip
        assert out.strip() == "Created AI model 'local' (openai_compatible: llama3.2), key sk-...abcd."
        assert SECRET not in out

    def test_updates_by_name_and_an_empty_key_keeps_the_old_one(self, monkeypatch):
        AIModelFactory(name="local", api_key=SECRET, model="old")

        out = run(
            "add_ai_model", *self.ARGS, "--usage-type", "interview", stdin_text="\n", monkeypatch=monkeypatch
        )

        model = AIModel.objects.get(name="local")
        assert (model.model, model.usage_type, model.api_key) == ("llama3.2", "interview", SECRET)
        assert out.startswith("Updated AI model 'local'")

    def test_invalid_config_is_refused(self, monkeypatch):
        with pytest.raises(CommandError, match="temperature must be between 0 and 2"):
            run(
                "add_ai_model",
                *self.ARGS,
                "--config",
                '{"temperature": 9}',
                stdin_text="k\n",
                monkeypatch=monkeypatch,
            )
        assert not AIModel.objects.exists()

    def test_the_key_is_not_an_argument(self):
        with pytest.raises(CommandError):
            call_command("add_ai_model", *self.ARGS, "--api-key", SECRET)


@pytest.mark.django_db
class TestChangingAnAIModel:
    def test_only_the_options_given_change(self, monkeypatch):
        AIModelFactory(
            name="local",
            provider="openai_compatible",
            model="llama3.2",
            base_url="http://localhost:11434/v1",
            usage_type="interview",
            config={"temperature": 0.3},
            api_key=SECRET,
        )

        run("add_ai_model", "local", "--model", "llama3.3", stdin_text="\n", monkeypatch=monkeypatch)

        model = AIModel.objects.get(name="local")
        fields = ["provider", "model", "base_url", "usage_type", "config", "api_key"]
        assert [getattr(model, field) for field in fields] == [
            "openai_compatible",
            "llama3.3",
            "http://localhost:11434/v1",
            "interview",
            {"temperature": 0.3},
            SECRET,
        ]

    def test_switching_off_and_on(self, monkeypatch):
        AIModelFactory(name="gpt")

        run("add_ai_model", "gpt", "--inactive", stdin_text="", monkeypatch=monkeypatch)
        assert AIModel.objects.get(name="gpt").is_active is False
        run("add_ai_model", "gpt", "--active", stdin_text="", monkeypatch=monkeypatch)
        assert AIModel.objects.get(name="gpt").is_active is True

    def test_creating_needs_provider_and_model(self, monkeypatch):
        with pytest.raises(CommandError, match="--provider and --model are required"):
            run("add_ai_model", "new", "--model", "x", stdin_text="", monkeypatch=monkeypatch)
        assert not AIModel.objects.exists()


@pytest.mark.django_db
def test_list_ai_models_shows_keys_masked():
    AIModelFactory(name="gpt", api_key=SECRET, model="gpt-4o-mini")
    AIModelFactory(name="llama", api_key="", is_active=False, base_url="http://localhost:11434/v1")

    lines = run("list_ai_models").splitlines()

    assert lines[0].split() == ["NAME", "PROVIDER", "MODEL", "USAGE", "ACTIVE", "KEY", "BASE", "URL"]
    assert lines[1].split() == ["gpt", "openai", "gpt-4o-mini", "general", "yes", "sk-...abcd"]
    assert lines[2].split() == [
        "llama",
        "openai",
        "gpt-4o-mini",
        "general",
        "no",
        "-",
        "http://localhost:11434/v1",
    ]
    assert SECRET not in "\n".join(lines)


@pytest.mark.django_db
class TestTestAIModel:
    def test_a_model_that_answers_ok(self, openai_server):
        ai_model_on(openai_server, name="gpt")
        openai_server.reply("OK.")
        openai_server.reply(tool_calls=[{"name": "report_status", "arguments": {"ok": True}}])

        out = run("test_ai_model", "gpt")
        assert out.startswith("AI model 'gpt' answered in ")
        assert "It answers through tools too" in out
        assert openai_server.requests[1]["tool_choice"] == {
            "type": "function",
            "function": {"name": "report_status"},
        }
        assert openai_server.requests[0]["messages"][-1]["content"] == "Reply with the single word: ok"

    def test_a_model_that_answers_in_words_but_not_through_tools(self, openai_server):
        ai_model_on(openai_server, name="small")
        openai_server.reply("ok")
        openai_server.reply("I am working.")  # words where the forced tool call was asked for

        out = run("test_ai_model", "small")

        assert out.splitlines()[0].startswith("AI model 'small' answered in ")
        assert out.splitlines()[1] == (
            "It does not answer through tools: The model did not answer through the tool (see "
            "docs/local-models.md). Planning and the agent need tools; try config stream_tools: "
            "false (docs/local-models.md)."
        )
        assert "answers through tools too" not in out

    @pytest.mark.parametrize(
        ("reply", "status", "error"),
        [
            ("Here is a poem about clouds, " * 20, 200, "The model answered, but not with 'ok'."),
            ("", 500, "The provider answered HTTP 500."),
        ],
    )
    def test_a_model_that_does_not_answer_ok_fails(self, openai_server, reply, status, error):
        ai_model_on(openai_server, name="gpt")
        openai_server.reply(reply, status=status)

        with pytest.raises(CommandError, match=f"AI model 'gpt' failed in \\d+ ms: {re.escape(error)}"):
            run("test_ai_model", "gpt")

    def test_an_unknown_name(self):
        with pytest.raises(CommandError, match="No AI model is named 'nope'"):
            run("test_ai_model", "nope")
