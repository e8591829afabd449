import pytest

from aimodels.models import SystemSettings
from aimodels.tests.factories import SystemSettingsFactory


@pytest.mark.django_db
class TestSettingsApi:
    def test_keys_with_dots_are_addressed_by_key(self, staff_client):
        created = staff_client.post(
            "/api/v1/settings/",
            {"key": "kanban.wip_limits", "value": {"in_progress": 3}, "description": "WIP"},
        )
        fetched = staff_client.get("/api/v1/settings/kanban.wip_limits/")
        updated = staff_client.patch("/api/v1/settings/kanban.wip_limits/", {"value": {"in_progress": 5}})
        deleted = staff_client.delete("/api/v1/settings/kanban.wip_limits/")

        assert created.status_code == 201
        assert fetched.json() == {
            "key": "kanban.wip_limits",
            "value": {"in_progress": 3},
            "description": "WIP",
            "updated_at": fetched.json()["updated_at"],
        }
        assert updated.json()["value"] == {"in_progress": 5}
        assert deleted.status_code == 204
        assert not SystemSettings.objects.exists()

    def test_known_keys_are_validated(self, staff_client):
        response = staff_client.post("/api/v1/settings/", {"key": "ai.max_tool_iterations", "value": 0})

        assert response.status_code == 400
        assert response.json() == {"value": ["Must be an integer from 1 to 50."]}

    def test_key_cannot_be_renamed(self, staff_client):
        SystemSettingsFactory(key="custom.motto", value="ship")

        staff_client.patch("/api/v1/settings/custom.motto/", {"key": "custom.other", "value": "it"})

        assert list(SystemSettings.objects.values_list("key", "value")) == [("custom.motto", "it")]

    def test_only_staff_write(self, owner_client):
        SystemSettingsFactory(key="custom.motto")

        assert owner_client.get("/api/v1/settings/custom.motto/").status_code == 200
        assert owner_client.patch("/api/v1/settings/custom.motto/", {"value": 1}).status_code == 403
        assert owner_client.post("/api/v1/settings/bulk/", {"settings": []}).status_code == 403


@pytest.mark.django_db
class TestSettingsBulk:
    def test_creates_and_updates_all_in_one_call(self, staff_client):
        SystemSettingsFactory(key="custom.motto", value="old", description="kept")

        response = staff_client.post(
            "/api/v1/settings/bulk/",
            {
                "settings": [
                    {"key": "custom.motto", "value": "new"},
                    {"key": "kanban.wip_limits", "value": {"review": 2}, "description": "limits"},
                ]
            },
        )

        assert response.status_code == 200
        assert [row["key"] for row in response.json()] == ["custom.motto", "kanban.wip_limits"]
        assert list(SystemSettings.objects.order_by("key").values_list("key", "value", "description")) == [
            ("custom.motto", "new", "kept"),
            ("kanban.wip_limits", {"review": 2}, "limits"),
        ]

    def test_one_invalid_item_names_it_and_changes_nothing(self, staff_client):
        SystemSettingsFactory(key="custom.motto", value="old")

        response = staff_client.post(
            "/api/v1/settings/bulk/",
            {
                "settings": [
                    {"key": "custom.motto", "value": "new"},
                    {"key": "kanban.wip_limits", "value": {"doing": 2}},
                ]
            },
        )

        assert response.status_code == 400
        assert response.json() == {
            "settings": {
                "1": {
                    "value": ["Unknown column 'doing'; columns are backlog, todo, in_progress, review, done."]
                }
            }
        }
        assert list(SystemSettings.objects.values_list("key", "value")) == [("custom.motto", "old")]

    def test_repeated_keys_are_refused(self, staff_client):
        response = staff_client.post(
            "/api/v1/settings/bulk/",
            {"settings": [{"key": "custom.a", "value": 1}, {"key": "custom.a", "value": 2}]},
        )

        assert response.status_code == 400
        assert response.json() == {"settings": ["Each key may appear once; repeated: custom.a."]}
        assert not SystemSettings.objects.exists()

    def test_a_failing_write_rolls_back_the_earlier_ones(self, staff_client, monkeypatch):
        original = SystemSettings.objects.update_or_create
        calls = []

        def fail_on_second(**kwargs):
            calls.append(kwargs["key"])
            if len(calls) == 2:
                raise RuntimeError("database went away")
            return original(**kwargs)

        monkeypatch.setattr(SystemSettings.objects, "update_or_create", fail_on_second)
        staff_client.raise_request_exception = False

        response = staff_client.post(
            "/api/v1/settings/bulk/",
            {"settings": [{"key": "custom.a", "value": 1}, {"key": "custom.b", "value": 2}]},
        )

        assert response.status_code == 500
        assert not SystemSettings.objects.exists()


@pytest.mark.django_db
def test_a_setting_needs_a_value(staff_client):
    response = staff_client.post("/api/v1/settings/", {"key": "custom.flag", "description": "no value"})

    assert (response.status_code, response.json()) == (400, {"value": ["This field is required."]})
    assert not SystemSettings.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("write", ["single", "bulk"])
def test_unknown_keys_are_refused_outside_custom(staff_client, write):
    message = (
        "Unknown setting 'kanban.wip_limit'. Known settings: ai.default_max_tokens, ai.max_tool_iterations, "
        "kanban.claim_ttl_seconds, kanban.commit_diff_max_bytes, kanban.commit_diff_token_budget, "
        "kanban.commit_trailers, kanban.enforce_dependencies, kanban.wip_limits, mcp.allow_destructive; "
        "keys of your own start with 'custom.'."
    )
    if write == "single":
        response = staff_client.post("/api/v1/settings/", {"key": "kanban.wip_limit", "value": {}})
        assert response.json() == {"key": [message]}
    else:
        item = {"key": "kanban.wip_limit", "value": {}}
        response = staff_client.post("/api/v1/settings/bulk/", {"settings": [item]})
        assert response.json() == {"settings": {"0": {"key": [message]}}}
    assert response.status_code == 400
    assert not SystemSettings.objects.exists()
