import pytest
from cryptography.fernet import Fernet
from django.db import IntegrityError, connection

from aimodels.models import AIModel, SystemSettings
from aimodels.tests.factories import AIModelFactory
from core import crypto
from core.testing import validation_errors

SECRET = "sk-live-0123456789abcdef"


def raw_api_key(model: AIModel) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM aimodels_aimodel WHERE id = %s", [model.pk.hex])
        row = cursor.fetchone()
        if row is None:  # PostgreSQL stores UUIDs natively
            cursor.execute("SELECT api_key FROM aimodels_aimodel WHERE id = %s", [model.pk])
            row = cursor.fetchone()
        return row[0]


@pytest.mark.django_db
class TestApiKeyEncryption:
    def test_column_holds_a_fernet_token_that_decrypts_to_the_key(self):
        model = AIModelFactory(api_key=SECRET)

        stored = raw_api_key(model)

        assert SECRET not in stored
        assert crypto.decrypt(stored) == SECRET
        assert AIModel.objects.get(pk=model.pk).api_key == SECRET

    def test_empty_key_stays_empty(self):
        model = AIModelFactory(api_key="")

        assert raw_api_key(model) == ""
        assert AIModel.objects.get(pk=model.pk).has_api_key is False

    def test_token_of_an_old_key_decrypts_after_a_new_key_is_put_first(self, settings):
        old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        settings.FIELD_ENCRYPTION_KEYS = [old_key]
        model = AIModelFactory(api_key=SECRET)
        old_token = raw_api_key(model)

        settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

        assert AIModel.objects.get(pk=model.pk).api_key == SECRET
        assert Fernet(new_key.encode()).decrypt(crypto.rotate(old_token).encode()).decode() == SECRET

    def test_new_writes_use_the_first_key(self, settings):
        old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

        model = AIModelFactory(api_key=SECRET)

        assert Fernet(new_key.encode()).decrypt(raw_api_key(model).encode()).decode() == SECRET

    def test_a_token_no_key_opens_reads_as_undecryptable_and_saves_back_unchanged(self, settings):
        settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
        model = AIModelFactory(api_key=SECRET)
        token = raw_api_key(model)
        settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

        loaded = AIModel.objects.get(pk=model.pk)
        loaded.model = "gpt-5"
        loaded.save()

        assert (loaded.api_key, loaded.api_key_hint, loaded.has_api_key) == ("", "cannot be decrypted", True)
        assert raw_api_key(loaded) == token


def test_str_and_repr_never_show_the_key():
    model = AIModelFactory.build(api_key=SECRET)

    assert SECRET not in str(model)
    assert SECRET not in repr(model)
    assert model.api_key_hint == "sk-...cdef"


@pytest.mark.parametrize(
    ("secret", "hint"),
    [("", None), ("short", "..."), ("abcdefghij", "...ij"), ("sk-ant-api03-xyzw", "sk-...xyzw")],
)
def test_mask_secret(secret, hint):
    assert crypto.mask_secret(secret) == hint


@pytest.mark.django_db
class TestConstraints:
    @pytest.mark.parametrize("field", ["provider", "usage_type"])
    def test_enums_are_refused_by_the_database(self, field):
        model = AIModelFactory()

        with pytest.raises(IntegrityError):
            AIModel.objects.filter(pk=model.pk).update(**{field: "bogus"})

    def test_name_is_unique(self):
        AIModelFactory(name="gpt")

        with pytest.raises(IntegrityError):
            AIModelFactory(name="gpt")

    def test_name_length_is_limited(self):
        assert "name" in validation_errors(AIModelFactory.build(name="x" * 101))


@pytest.mark.django_db
class TestSystemSettings:
    def test_known_keys_are_validated(self):
        setting = SystemSettings(key="kanban.wip_limits", value={"in_progress": 0})

        assert validation_errors(setting) == {
            "value": ["The limit of 'in_progress' must be a positive integer or null."]
        }

    def test_custom_keys_take_any_json_and_other_unknown_keys_are_refused(self):
        SystemSettings(key="custom.motto", value=["ship", "it"]).full_clean()
        assert list(validation_errors(SystemSettings(key="team.motto", value=["ship", "it"]))) == ["key"]

    def test_value_of_falls_back_to_the_registered_default(self):
        assert SystemSettings.objects.value_of("ai.max_tool_iterations") == 8
        SystemSettings.objects.create(key="ai.max_tool_iterations", value=3)
        assert SystemSettings.objects.value_of("ai.max_tool_iterations") == 3
        assert SystemSettings.objects.value_of("nobody.knows") is None
