import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from aimodels.models import AIModel
from aimodels.tests.factories import AIModelFactory
from aimodels.tests.test_models import raw_api_key

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
