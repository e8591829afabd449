import json
from decimal import Decimal

import pytest

from core.renderers import JSONRenderer
from core.testing import created
from kanban.tests.factories import CommitFactory, TaskFactory
from projects.models import Project
from projects.serializers import ProjectSerializer
from projects.tests.factories import InterviewFactory, ProjectFactory, PromptFactory


@pytest.mark.django_db
class TestProjectsApi:
    def test_create_answers_the_whole_project(self, owner_client, owner):
        response = owner_client.post(
            "/api/v1/projects/",
            {"name": "Shop", "description": "A shop", "git_repository_info": {"url": "git@x:shop.git"}},
        )

        project, body = created(response, Project)
        assert project.owner == owner
        assert body == {
            "name": "Shop",
            "description": "A shop",
            "git_repository_info": {"url": "git@x:shop.git"},
            "require_approval": "off",
            "monthly_budget": None,
            "interview_count": 0,
            "prompt_count": 0,
            "task_count": 0,
            "commit_count": 0,
        }

    def test_detail_counts_what_is_under_the_project(self, owner_client, project):
        InterviewFactory.create_batch(2, project=project)
        PromptFactory.create_batch(3, project=project)
        task = TaskFactory(project=project)
        TaskFactory(project=project)
        CommitFactory.create_batch(4, task=task)

        body = owner_client.get(f"/api/v1/projects/{project.pk}/").json()

        assert [body[f"{kind}_count"] for kind in ("interview", "prompt", "task", "commit")] == [2, 3, 2, 4]

    def test_update_and_delete(self, owner_client, project):
        put = owner_client.put(f"/api/v1/projects/{project.pk}/", {"name": "Renamed"})
        patch = owner_client.patch(f"/api/v1/projects/{project.pk}/", {"description": "new"})
        delete = owner_client.delete(f"/api/v1/projects/{project.pk}/")

        assert (put.status_code, put.json()["name"]) == (200, "Renamed")
        assert (patch.status_code, patch.json()["description"]) == (200, "new")
        assert delete.status_code == 204
        assert not Project.objects.exists()

    @pytest.mark.parametrize(
        ("payload", "errors"),
        [
            ({"name": ""}, {"name": ["This field may not be blank."]}),
            ({"name": "x" * 256}, {"name": ["Ensure this field has no more than 255 characters."]}),
            (
                {"name": "ok", "git_repository_info": ["url"]},
                {"git_repository_info": ["Must be a JSON object."]},
            ),
            ({}, {"name": ["This field is required."]}),
        ],
    )
    def test_bad_input_names_the_field_and_writes_nothing(self, owner_client, payload, errors):
        response = owner_client.post("/api/v1/projects/", payload)

        assert response.status_code == 400
        assert response.json() == errors
        assert not Project.objects.exists()

    def test_search_and_ordering(self, owner_client, owner):
        ProjectFactory(owner=owner, name="Alpha", description="")
        ProjectFactory(owner=owner, name="Beta", description="alpha inside")
        ProjectFactory(owner=owner, name="Gamma", description="")

        found = owner_client.get("/api/v1/projects/", {"search": "alpha", "ordering": "-name"}).json()

        assert [project["name"] for project in found["results"]] == ["Beta", "Alpha"]

    def test_pagination(self, owner_client, owner):
        ProjectFactory.create_batch(3, owner=owner)

        body = owner_client.get("/api/v1/projects/", {"page_size": 2, "page": 2}).json()

        assert (body["count"], len(body["results"]), body["next"]) == (3, 1, None)

    def test_the_list_writes_a_project_as_its_serializer_does(self, owner_client, owner):
        """The list reads rows with values() and leaves the formatting to the JSON renderer."""
        ProjectFactory(
            owner=owner, name="Ünïcode \u2028 \U0001f600", git_repository_info={"url": "x", "n": [1]}
        )
        funded = ProjectFactory(owner=owner, monthly_budget=Decimal("12.5"), description="multi\nline")
        TaskFactory.create_batch(2, project=funded)
        written = {
            str(project.pk): json.loads(JSONRenderer().render(ProjectSerializer(project).data))
            for project in Project.objects.all()
        }

        listed = owner_client.get("/api/v1/projects/").json()["results"]

        assert listed == [written[project["id"]] for project in listed]
        assert [project["monthly_budget"] for project in listed] == ["12.50", None]
        assert listed[0]["task_count"] == 2

    def test_page_size_is_capped_at_100(self, owner_client, owner):
        ProjectFactory.create_batch(101, owner=owner)

        body = owner_client.get("/api/v1/projects/", {"page_size": 500}).json()

        assert (body["count"], len(body["results"])) == (101, 100)


@pytest.mark.django_db
def test_integers_beyond_64_bits_in_json_fields_are_written_back(owner_client):
    big = {"stars": 10**30, "forks": -(2**70)}
    created = owner_client.post("/api/v1/projects/", {"name": "Big", "git_repository_info": big})

    listed = owner_client.get("/api/v1/projects/")
    history = owner_client.get(f"/api/v1/projects/{created.json()['id']}/activity/")

    assert created.status_code == 201
    assert listed.status_code == history.status_code == 200
    assert listed.json()["results"][0]["git_repository_info"] == big
    assert history.json()["results"][0]["changes"]["git_repository_info"]["to"] == big
