import pytest

from projects.models import Prompt
from projects.tests.factories import ProjectFactory, PromptFactory


@pytest.fixture
def first(owner):
    return PromptFactory(project__owner=owner, content="line one\nline two\n", type="system")


def url(prompt, action=""):
    return f"/api/v1/prompts/{prompt.pk}/{action + '/' if action else ''}"


@pytest.mark.django_db
class TestVersions:
    def test_new_version_derives_from_the_prompt(self, owner_client, first):
        response = owner_client.post(url(first, "versions"), {"content": "line one\nline 2\n"})

        assert response.status_code == 201
        body = response.json()
        assert (body["parent"], body["lineage"], body["version"]) == (str(first.pk), str(first.pk), 2)
        assert (body["content"], body["type"], body["project"]) == (
            "line one\nline 2\n",
            "system",
            str(first.project_id),
        )

    def test_version_numbers_follow_the_highest_in_the_lineage(self, owner_client, first):
        owner_client.post(url(first, "versions"), {"content": "v2"})
        response = owner_client.post(url(first, "versions"), {"content": "v3 from v1"})

        assert response.json()["version"] == 3

    def test_history_lists_the_lineage_by_version_in_constant_queries(
        self, owner_client, first, django_assert_num_queries
    ):
        second = PromptFactory(project=first.project, parent=first, version=2)
        third = PromptFactory(project=first.project, parent=second, version=3)
        PromptFactory(project=first.project)  # another lineage

        # prompt with its labels, lineage with theirs
        with django_assert_num_queries(4):
            response = owner_client.get(url(third, "versions"))

        assert [row["id"] for row in response.json()] == [str(first.pk), str(second.pk), str(third.pk)]

    def test_missing_content_is_a_400(self, owner_client, first):
        response = owner_client.post(url(first, "versions"), {"type": "x"})

        assert response.status_code == 400
        assert response.json() == {"content": ["This field is required."]}
        assert Prompt.objects.count() == 1


@pytest.mark.django_db
class TestHistoryIsNeverRewritten:
    def test_content_of_an_older_version_is_a_409(self, owner_client, first):
        owner_client.post(url(first, "versions"), {"content": "v2"})

        for change in ({"content": "rewrite"}, {"components": [{"text": "rewrite"}]}):
            response = owner_client.patch(url(first), change)
            assert response.status_code == 409
            assert "create a new version" in response.json()["detail"]
        first.refresh_from_db()
        assert (first.content, first.components) == ("line one\nline two\n", [])

    def test_other_fields_of_an_older_version_may_change(self, owner_client, first):
        owner_client.post(url(first, "versions"), {"content": "v2"})

        response = owner_client.patch(url(first), {"is_reusable": True, "type": "persona"})

        assert response.status_code == 200
        assert (response.json()["is_reusable"], response.json()["type"]) == (True, "persona")

    def test_the_latest_version_may_change(self, owner_client, first):
        response = owner_client.patch(url(first), {"content": "edited"})

        assert (response.status_code, response.json()["content"]) == (200, "edited")


@pytest.mark.django_db
class TestDiffAndRestore:
    def test_diff_is_unified(self, owner_client, first):
        second = PromptFactory(project=first.project, parent=first, version=2, content="line one\nline 2\n")

        response = owner_client.get(url(first, "diff"), {"other": str(second.pk)})

        assert response.status_code == 200
        assert response.json() == {
            "from": str(first.pk),
            "to": str(second.pk),
            "diff": (
                f"--- {first.pk} (v1)\n+++ {second.pk} (v2)\n@@ -1,2 +1,2 @@\n line one\n-line two\n+line 2\n"
            ),
        }

    def test_diff_needs_another_prompt_of_the_same_project(self, owner_client, owner, first):
        elsewhere = PromptFactory(project=ProjectFactory(owner=owner))
        foreign = PromptFactory()

        same_owner = owner_client.get(url(first, "diff"), {"other": str(elsewhere.pk)})
        other_owner = owner_client.get(url(first, "diff"), {"other": str(foreign.pk)})
        missing = owner_client.get(url(first, "diff"))

        assert same_owner.json() == {"other": ["Must belong to the same project."]}
        assert other_owner.json() == {"other": [f'Invalid pk "{foreign.pk}" - object does not exist.']}
        assert missing.json() == {"other": ["This field is required."]}

    def test_restore_makes_a_new_latest_version_with_the_old_content(self, owner_client, first):
        first.components = [{"text": "Be kind."}]
        first.save()
        PromptFactory(project=first.project, parent=first, version=2, content="changed", components=[])

        response = owner_client.post(url(first, "restore"))

        assert response.status_code == 201
        body = response.json()
        assert (body["version"], body["content"], body["components"]) == (
            3,
            first.content,
            [{"text": "Be kind."}],
        )
        assert Prompt.objects.filter(lineage=first.lineage).count() == 3

    @pytest.mark.parametrize(
        ("verb", "action"), [("get", "versions"), ("post", "versions"), ("get", "diff"), ("post", "restore")]
    )
    def test_another_users_prompt_is_not_found(self, outsider_client, first, verb, action):
        response = getattr(outsider_client, verb)(
            url(first, action), {"content": "x", "other": str(first.pk)}
        )

        assert response.status_code == 404
        assert Prompt.objects.count() == 1
