import pytest
from django.contrib import admin
from django.urls import reverse

from aimodels.models import AIModel, SystemSettings
from aimodels.tests.factories import AIModelFactory, SystemSettingsFactory
from chat.tests.factories import ToolCallFactory
from kanban.tests.factories import CommitFactory
from projects.services import prompt_label_move
from projects.tests.factories import InterviewFactory, PromptFactory

SECRET = "sk-admin-0123456789wxyz"
OUR_APPS = {"aimodels", "projects", "kanban", "chat", "activity"}


@pytest.fixture
def every_model_has_a_row(db):
    call = ToolCallFactory()
    project = call.message.session.task.project
    InterviewFactory(project=project)
    prompt = PromptFactory(project=project)
    prompt_label_move(prompt=prompt, name="production")
    CommitFactory(task=call.message.session.task)
    AIModelFactory(api_key=SECRET)
    SystemSettingsFactory()


@pytest.mark.usefixtures("every_model_has_a_row")
@pytest.mark.parametrize(
    "model",
    [model for model in admin.site._registry if model._meta.app_label in OUR_APPS],
    ids=lambda model: model._meta.label,
)
def test_staff_can_open_every_admin_page(client, staff, model):
    client.force_login(staff)
    opts = model._meta
    obj = model.objects.first()

    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"q": "a"})
    change = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))

    assert changelist.status_code == 200
    assert change.status_code == 200
    assert SECRET not in changelist.content.decode() + change.content.decode()


NO_FALLBACKS = {"fallback_links-TOTAL_FORMS": 0, "fallback_links-INITIAL_FORMS": 0}


@pytest.mark.django_db
class TestAIModelAdmin:
    def post_change(self, client, ai_model, **fields):
        data = {
            "name": ai_model.name,
            "provider": ai_model.provider,
            "model": ai_model.model,
            "base_url": "",
            "api_key": "",
            "usage_type": ai_model.usage_type,
            "is_active": "on",
            "config": "{}",
            **NO_FALLBACKS,
            **fields,
        }
        return client.post(reverse("admin:aimodels_aimodel_change", args=[ai_model.pk]), data)

    def test_change_page_shows_the_key_only_masked_in_an_empty_password_input(self, client, staff):
        model = AIModelFactory(api_key=SECRET)
        client.force_login(staff)

        page = client.get(reverse("admin:aimodels_aimodel_change", args=[model.pk])).content.decode()

        assert "sk-...wxyz" in page
        assert SECRET not in page
        assert 'type="password" name="api_key"' in page

    def test_empty_key_input_keeps_the_stored_key(self, client, staff):
        model = AIModelFactory(api_key=SECRET)
        client.force_login(staff)

        response = self.post_change(client, model, model="gpt-4.1")

        assert response.status_code == 302
        model.refresh_from_db()
        assert (model.model, model.api_key) == ("gpt-4.1", SECRET)

    def test_a_new_key_replaces_the_stored_one_and_clear_removes_it(self, client, staff):
        model = AIModelFactory(api_key=SECRET)
        client.force_login(staff)

        self.post_change(client, model, api_key="sk-new-key-9999")
        model.refresh_from_db()
        assert model.api_key == "sk-new-key-9999"

        self.post_change(client, model, clear_api_key="on")
        model.refresh_from_db()
        assert model.api_key == ""

    def test_add_encrypts_the_key(self, client, staff):
        client.force_login(staff)

        client.post(
            reverse("admin:aimodels_aimodel_add"),
            {
                "name": "local",
                "provider": "openai_compatible",
                "model": "llama3",
                "base_url": "http://localhost:11434/v1",
                "api_key": SECRET,
                "usage_type": "general",
                "config": '{"temperature": 0.2}',
                **NO_FALLBACKS,
            },
        )

        assert AIModel.objects.get(name="local").api_key == SECRET


@pytest.mark.django_db
class TestSystemSettingsAdmin:
    def test_invalid_json_is_a_form_error(self, client, staff):
        client.force_login(staff)

        response = client.post(reverse("admin:aimodels_systemsettings_add"), {"key": "x", "value": "{oops"})

        assert response.status_code == 200
        assert "Enter a valid JSON." in response.content.decode()
        assert not SystemSettings.objects.exists()

    def test_a_known_key_with_a_bad_value_is_a_form_error(self, client, staff):
        client.force_login(staff)

        response = client.post(
            reverse("admin:aimodels_systemsettings_add"),
            {"key": "kanban.wip_limits", "value": '{"doing": 2}'},
        )

        assert response.status_code == 200
        assert "Unknown column" in response.content.decode()
        assert not SystemSettings.objects.exists()

    def test_valid_json_is_stored(self, client, staff):
        client.force_login(staff)

        client.post(
            reverse("admin:aimodels_systemsettings_add"),
            {"key": "kanban.wip_limits", "value": '{"in_progress": 3}'},
        )

        assert SystemSettings.objects.get().value == {"in_progress": 3}
