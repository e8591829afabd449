"""Prompt labels: a name pointing at one version of a lineage, moved atomically with a
history, resolved by label, and usable in components."""

import pytest
from django.urls import reverse

from core.testing import postgres_only, run_in_threads
from projects import services
from projects.models import PromptLabel, PromptLabelMove
from projects.tests.factories import ProjectFactory, PromptFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lineage(owner):
    """Three versions of one reusable prompt."""
    first = PromptFactory(project=ProjectFactory(owner=owner), content="v1", is_reusable=True)
    second = services.prompt_create_version(prompt=first, content="v2")
    third = services.prompt_create_version(prompt=second, content="v3")
    return first, second, third


def label(client, prompt, name):
    return client.post(f"/api/v1/prompts/{prompt.pk}/labels/", {"label": name})


def resolve(client, prompt, name=None):
    query = {"lineage": str(prompt.lineage)} | ({"label": name} if name else {})
    return client.get("/api/v1/prompts/resolve/", query)


class TestLabels:
    def test_a_label_points_at_one_version_and_moves_with_a_history(self, owner_client, owner, lineage):
        first, second, third = lineage

        created = label(owner_client, first, "production")
        moved = label(owner_client, second, "production")
        label(owner_client, third, "staging")

        assert created.status_code == moved.status_code == 200
        assert moved.json() | {"updated_at": None} == {
            "lineage": str(first.lineage),
            "label": "production",
            "prompt": str(second.pk),
            "version": 2,
            "updated_at": None,
        }
        assert PromptLabel.objects.get(name="production").prompt == second
        listed = owner_client.get(f"/api/v1/prompts/{first.pk}/labels/").json()
        assert [(row["label"], row["version"]) for row in listed] == [("production", 2), ("staging", 3)]
        history = owner_client.get(f"/api/v1/prompts/{third.pk}/label-history/").json()["results"]
        assert [
            (row["label"], row["from_version"], row["to_version"], row["moved_by"]) for row in history
        ] == [
            ("staging", None, 3, owner.username),
            ("production", 1, 2, owner.username),
            ("production", None, 1, owner.username),
        ]
        versions = owner_client.get(f"/api/v1/prompts/{first.pk}/versions/").json()
        assert [row["labels"] for row in versions] == [[], ["production"], ["staging"]]

    def test_moving_a_label_to_where_it_is_records_nothing(self, owner_client, lineage):
        label(owner_client, lineage[0], "production")
        label(owner_client, lineage[0], "production")

        assert PromptLabelMove.objects.count() == 1

    @pytest.mark.parametrize("name", ["latest", "not a slug", "x" * 51])
    def test_latest_and_non_slugs_are_refused(self, owner_client, lineage, name):
        response = label(owner_client, lineage[0], name)

        assert (response.status_code, list(response.json())) == (400, ["label"])
        assert not PromptLabel.objects.exists()

    def test_removing_a_label_is_recorded(self, owner_client, lineage):
        label(owner_client, lineage[1], "staging")

        removed = owner_client.delete(f"/api/v1/prompts/{lineage[0].pk}/labels/staging/")
        again = owner_client.delete(f"/api/v1/prompts/{lineage[0].pk}/labels/staging/")

        assert (removed.status_code, again.status_code) == (204, 404)
        assert PromptLabelMove.objects.values_list("from_version", "to_version").first() == (2, None)

    def test_resolve_by_label_and_latest(self, owner_client, lineage):
        first, second, third = lineage
        label(owner_client, second, "production")

        assert resolve(owner_client, first, "production").json()["id"] == str(second.pk)
        assert resolve(owner_client, first).json()["id"] == str(third.pk)
        assert resolve(owner_client, first, "latest").json()["content"] == "v3"
        assert resolve(owner_client, first, "staging").status_code == 404

    def test_another_users_lineage_and_labels_are_not_found(self, outsider_client, lineage):
        services.prompt_label_move(prompt=lineage[0], name="production")

        assert resolve(outsider_client, lineage[0], "production").status_code == 404
        assert label(outsider_client, lineage[0], "production").status_code == 404
        assert outsider_client.get(f"/api/v1/prompts/{lineage[0].pk}/label-history/").status_code == 404
        assert PromptLabel.objects.get().prompt == lineage[0]

    def test_components_render_the_labelled_version(self, owner_client, lineage):
        first, second, _ = lineage
        label(owner_client, second, "production")
        prompt = PromptFactory(
            project=first.project,
            content="Task",
            components=[
                {"prompt": str(first.lineage), "label": "production"},
                {"prompt": str(first.lineage), "label": "latest"},
            ],
        )

        rendered = owner_client.post(f"/api/v1/prompts/{prompt.pk}/render/", {"variables": {}})
        label(owner_client, first, "production")  # moving the label changes what renders
        again = owner_client.post(f"/api/v1/prompts/{prompt.pk}/render/", {"variables": {}})

        assert rendered.json() == {"content": "v2\n\nv3\n\nTask"}
        assert again.json() == {"content": "v1\n\nv3\n\nTask"}

    def test_a_component_with_a_missing_label_is_refused_when_written(self, owner_client, lineage):
        response = owner_client.post(
            "/api/v1/prompts/",
            {
                "project": str(lineage[0].project_id),
                "content": "x",
                "components": [{"prompt": str(lineage[0].lineage), "label": "production"}],
            },
        )

        assert (response.status_code, list(response.json())) == (400, ["components"])
        assert "labelled 'production'" in response.json()["components"][0]

    def test_admin_shows_and_moves_labels(self, client, staff, lineage):
        first, second, _ = lineage
        services.prompt_label_move(prompt=first, name="production")
        production = PromptLabel.objects.get()
        client.force_login(staff)

        changelist = client.get(reverse("admin:projects_promptlabel_changelist")).content.decode()
        moved = client.post(
            reverse("admin:projects_promptlabel_change", args=[production.pk]), {"prompt": second.pk}
        )
        elsewhere = client.post(
            reverse("admin:projects_promptlabel_change", args=[production.pk]),
            {"prompt": PromptFactory(project=first.project).pk},
        )

        assert "production" in changelist
        assert moved.status_code == 302
        assert elsewhere.status_code == 200  # a version of another lineage: a form error
        assert PromptLabel.objects.get().prompt == second
        assert PromptLabelMove.objects.first().moved_by == staff


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_leave_one_label_and_a_history_of_each(owner):
    first = PromptFactory(project=ProjectFactory(owner=owner))
    versions = [first]
    for _ in range(5):
        versions.append(services.prompt_create_version(prompt=versions[-1]))

    outcomes = run_in_threads(
        [
            lambda prompt=prompt: services.prompt_label_move(prompt=prompt, name="production")
            for prompt in versions
        ]
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    final = PromptLabel.objects.get(name="production")
    moves = list(PromptLabelMove.objects.order_by("moved_at", "id").values_list("from_prompt", "to_prompt"))
    assert len(moves) == len(versions)
    assert moves[0][0] is None
    assert all(moves[n][1] == moves[n + 1][0] for n in range(len(moves) - 1))  # a chain, no lost move
    assert moves[-1][1] == final.prompt_id
