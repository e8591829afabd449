"""Stored API keys: dumps keep them encrypted, and a key no configured key opens keeps
lists and admin working, refuses calls by name, and is named by the rotation."""

import io
import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.urls import reverse

from aimodels.models import AIModel
from aimodels.tests.factories import AIModelFactory
from aimodels.tests.test_models import raw_api_key
from conftest import ai_model_on
from core import crypto
from core.testing import refused_before_calling
from projects.tests.factories import InterviewFactory

SECRET = "sk-keys-0123456789-abcd"
pytestmark = pytest.mark.django_db


@pytest.fixture
def lost_key(settings):
    """A model whose key was encrypted with a key that is no longer configured."""
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    model = AIModelFactory(name="orphan", api_key=SECRET)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    return model


def test_dumpdata_writes_an_encrypted_token_and_loaddata_round_trips(tmp_path):
    model = AIModelFactory(api_key=SECRET)
    out = io.StringIO()

    call_command("dumpdata", "aimodels.aimodel", stdout=out)

    dumped = out.getvalue()
    assert SECRET not in dumped
    assert crypto.decrypt(json.loads(dumped)[0]["fields"]["api_key"]) == SECRET
    AIModel.objects.all().delete()
    fixture = tmp_path / "models.json"
    fixture.write_text(dumped)
    call_command("loaddata", str(fixture), stdout=io.StringIO())
    assert AIModel.objects.get(pk=model.pk).api_key == SECRET


def test_api_lists_keep_working_and_say_the_key_cannot_be_decrypted(owner_client, lost_key):
    AIModelFactory(name="fine")

    response = owner_client.get("/api/v1/ai-models/")

    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["results"]}
    assert (rows["orphan"]["api_key_hint"], rows["orphan"]["has_api_key"]) == ("cannot be decrypted", True)
    assert rows["fine"]["api_key_hint"].startswith("sk-")


def test_admin_keeps_working_and_says_the_key_cannot_be_decrypted(client, staff, lost_key):
    client.force_login(staff)

    changelist = client.get(reverse("admin:aimodels_aimodel_changelist"))
    change = client.get(reverse("admin:aimodels_aimodel_change", args=[lost_key.pk]))

    assert changelist.status_code == change.status_code == 200
    assert "cannot be decrypted" in changelist.content.decode()
    assert "cannot be decrypted" in change.content.decode()


def test_an_ai_call_answers_409_naming_the_model(owner_client, owner, openai_server, settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    ai_model_on(openai_server, name="orphan", usage_type="interview")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    interview = InterviewFactory(project__owner=owner)

    response = owner_client.post(f"/api/v1/interviews/{interview.pk}/messages/", {"content": "Hi"})

    assert refused_before_calling(response, openai_server)["detail"].startswith(
        "AI model 'orphan' cannot be called: its API key cannot be decrypted"
    )


def test_rotation_names_each_unopened_model_and_rotates_the_rest(settings, lost_key):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    fine = AIModelFactory(name="fine", api_key=SECRET)
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()

    with pytest.raises(CommandError, match="cannot be decrypted .* left as they are: 'orphan'"):
        call_command("rotate_encryption_keys", stdout=out)

    assert out.getvalue().strip() == "Re-encrypted 1 of 2 stored API keys with the first key."
    assert Fernet(new.encode()).decrypt(raw_api_key(fine).encode()).decode() == SECRET
