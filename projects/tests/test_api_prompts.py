import pytest

from core.testing import created
from projects.models import Prompt
from projects.tests.factories import InterviewFactory, PromptFactory


@pytest.mark.django_db
class TestPromptsApi:
    def test_create_answers_the_whole_prompt(self, owner_client, project):
        interview = InterviewFactory(project=project)
        reusable = PromptFactory(project=project, is_reusable=True)

        response = owner_client.post(
            "/api/v1/prompts/",
            {
                "project": str(project.pk),
                "created_from_interview": str(interview.pk),
                "content": "Build {{thing}}",
                "type": "task",
                "components": [{"prompt": str(reusable.pk)}, {"text": "Be brief."}],
            },
        )

        prompt, body = created(response, Prompt)
        assert body == {
            "project": str(project.pk),
            "created_from_interview": str(interview.pk),
            "parent": None,
            "lineage": str(prompt.pk),
            "content": "Build {{thing}}",
            "type": "task",
            "is_reusable": False,
            "components": [{"prompt": str(reusable.pk)}, {"text": "Be brief."}],
            "version": 1,
            "labels": [],
            "generated_by_ai_model": "",
        }

    def test_create_with_a_parent_is_the_next_version_of_its_lineage(self, owner_client, owner):
        first = PromptFactory(project__owner=owner)
        PromptFactory(project=first.project, parent=first, version=2)

        response = owner_client.post(
            "/api/v1/prompts/", {"project": str(first.project_id), "parent": str(first.pk), "content": "v3"}
        )

        assert response.status_code == 201
        assert (response.json()["version"], response.json()["lineage"]) == (3, str(first.pk))

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"type": "t" * 51}, "type"),
            ({"components": [{"nope": 1}]}, "components"),
            ({"components": {"text": "x"}}, "components"),
            ({"version": 7, "lineage": "x"}, None),
        ],
    )
    def test_bad_input_names_the_field(self, owner_client, project, payload, field):
        response = owner_client.post("/api/v1/prompts/", {"project": str(project.pk), **payload})

        if field is None:  # read-only fields are ignored, not errors
            assert response.status_code == 201
            assert response.json()["version"] == 1
        else:
            assert response.status_code == 400
            assert list(response.json()) == [field]
            assert not Prompt.objects.exists()

    def test_a_parent_from_another_project_is_refused(self, owner_client, owner, project):
        foreign_parent = PromptFactory(project__owner=owner)

        response = owner_client.post(
            "/api/v1/prompts/", {"project": str(project.pk), "parent": str(foreign_parent.pk)}
        )

        assert response.status_code == 400
        assert response.json() == {"parent": ["Must belong to the same project."]}
        assert Prompt.objects.count() == 1

    def test_filters_and_search(self, owner_client, project):
        wanted = PromptFactory(project=project, type="system", is_reusable=True, content="Tone: friendly")
        PromptFactory(project=project, type="system", is_reusable=False, content="Tone: friendly")
        PromptFactory(project=project, type="task", is_reusable=True, content="Tone: friendly")

        body = owner_client.get(
            "/api/v1/prompts/", {"type": "system", "is_reusable": "true", "search": "friendly"}
        ).json()

        assert [row["id"] for row in body["results"]] == [str(wanted.pk)]
