import pytest

from aimodels.models import AIModel
from aimodels.tests.factories import ISSUED_API_KEYS, AIModelFactory
from conftest import ai_model_on, job_result
from core.testing import created

SECRET = "sk-proj-api-0123456789-abcd"
ISSUED_API_KEYS.add(SECRET)


@pytest.mark.django_db
class TestAIModelsApi:
    def test_staff_create_answers_a_masked_key_only(self, staff_client):
        response = staff_client.post(
            "/api/v1/ai-models/",
            {
                "name": "gpt",
                "provider": "openai",
                "model": "gpt-4o-mini",
                "api_key": SECRET,
                "usage_type": "interview",
                "config": {"temperature": 0.2, "max_tokens": 800},
            },
        )

        model, body = created(response, AIModel)
        assert model.api_key == SECRET
        assert body == {
            "name": "gpt",
            "provider": "openai",
            "model": "gpt-4o-mini",
            "base_url": "",
            "api_key_hint": "sk-...abcd",
            "has_api_key": True,
            "usage_type": "interview",
            "is_active": True,
            "config": {"temperature": 0.2, "max_tokens": 800},
            "price_input_per_mtok": None,
            "price_cached_input_per_mtok": None,
            "price_output_per_mtok": None,
            "fallbacks": [],
        }

    def test_omitted_key_is_kept_and_empty_key_removes_it(self, staff_client):
        model = AIModelFactory(api_key=SECRET)

        staff_client.patch(f"/api/v1/ai-models/{model.pk}/", {"model": "gpt-4.1"})
        model.refresh_from_db()
        assert (model.model, model.api_key) == ("gpt-4.1", SECRET)

        staff_client.patch(f"/api/v1/ai-models/{model.pk}/", {"api_key": ""})
        model.refresh_from_db()
        assert model.api_key == ""

    def test_staff_put_and_delete(self, staff_client):
        model = AIModelFactory(api_key=SECRET)

        put = staff_client.put(
            f"/api/v1/ai-models/{model.pk}/",
            {"name": "renamed", "provider": "anthropic", "model": "claude-sonnet-4-5"},
        )
        delete = staff_client.delete(f"/api/v1/ai-models/{model.pk}/")

        assert (put.status_code, put.json()["provider"], put.json()["has_api_key"]) == (
            200,
            "anthropic",
            True,
        )
        assert delete.status_code == 204
        assert not AIModel.objects.exists()

    def test_any_user_reads_but_only_staff_write(self, owner_client):
        model = AIModelFactory()

        assert owner_client.get("/api/v1/ai-models/").status_code == 200
        assert owner_client.get(f"/api/v1/ai-models/{model.pk}/").status_code == 200
        for verb in ("put", "patch", "delete"):
            response = getattr(owner_client, verb)(f"/api/v1/ai-models/{model.pk}/", {"name": "mine"})
            assert response.status_code == 403
        assert owner_client.post("/api/v1/ai-models/", {"name": "mine"}).status_code == 403
        assert AIModel.objects.get().name == model.name

    @pytest.mark.parametrize(
        ("config", "message"),
        [
            ({"temperature": 3}, "temperature must be between 0 and 2."),
            ({"max_tokens": "many"}, "max_tokens must be of type int."),
            ({"timeout": True}, "timeout must be of type int or float."),
            ({"colour": "blue"}, "Unknown key 'colour'"),
        ],
    )
    def test_config_is_validated(self, staff_client, config, message):
        response = staff_client.post(
            "/api/v1/ai-models/", {"name": "x", "provider": "openai", "model": "m", "config": config}
        )

        assert response.status_code == 400
        assert message in response.json()["config"][0]
        assert not AIModel.objects.exists()

    def test_duplicate_name_and_bad_provider_name_their_fields(self, staff_client):
        AIModelFactory(name="taken")

        response = staff_client.post(
            "/api/v1/ai-models/", {"name": "taken", "provider": "acme", "model": "m"}
        )

        assert response.status_code == 400
        assert set(response.json()) == {"name", "provider"}

    def test_filters(self, owner_client):
        wanted = AIModelFactory(provider="anthropic", usage_type="interview")
        AIModelFactory(provider="anthropic", usage_type="interview", is_active=False)
        AIModelFactory(provider="openai", usage_type="interview")

        body = owner_client.get(
            "/api/v1/ai-models/", {"provider": "anthropic", "usage_type": "interview", "is_active": "true"}
        ).json()

        assert [row["id"] for row in body["results"]] == [str(wanted.pk)]

    def test_anonymous_is_401(self, anonymous_client):
        assert anonymous_client.get("/api/v1/ai-models/").status_code == 401


@pytest.mark.django_db
class TestAIModelTestEndpoint:
    def test_a_working_model(self, staff_client, provider_server):
        model = ai_model_on(provider_server)
        provider_server.reply("ok")
        provider_server.reply(tool_calls=[{"name": "report_status", "arguments": {"ok": True}}])

        response = staff_client.post(f"/api/v1/ai-models/{model.pk}/test/")

        body = job_result(response, "test")
        assert (body["ok"], body["error"], body["tools"]) == (True, None, {"ok": True, "error": None})
        assert isinstance(body["latency_ms"], int)
        assert len(provider_server.requests) == 2

    def test_a_model_that_cannot_answer_through_tools_says_so(self, staff_client, openai_server):
        model = ai_model_on(openai_server)
        openai_server.reply("ok")
        openai_server.reply("I am working.")  # words, not the tool

        body = job_result(staff_client.post(f"/api/v1/ai-models/{model.pk}/test/"), "test")

        assert body["ok"] is True
        assert body["tools"] == {
            "ok": False,
            "error": "The model did not answer through the tool (see docs/local-models.md).",
        }

    def test_a_failing_model_reports_the_error_without_the_key(self, staff_client, openai_server):
        model = ai_model_on(openai_server, name="locked", api_key="sk-wrong-test-0000000000-zz")
        ISSUED_API_KEYS.add(model.api_key)

        response = staff_client.post(f"/api/v1/ai-models/{model.pk}/test/")

        assert job_result(response, "test")["ok"] is False
        assert job_result(response, "test")["error"] == "The provider answered HTTP 401."

    def test_only_staff(self, owner_client, openai_server):
        model = ai_model_on(openai_server)

        assert owner_client.post(f"/api/v1/ai-models/{model.pk}/test/").status_code == 403
        assert openai_server.requests == []
