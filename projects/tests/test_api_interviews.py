import pytest

from projects.models import Interview
from projects.tests.factories import InterviewFactory, ProjectFactory


@pytest.mark.django_db
class TestInterviewsApi:
    def test_crud(self, owner_client, owner):
        project = ProjectFactory(owner=owner)
        transcript = [{"role": "user", "content": "We need a shop", "created_at": "2026-11-22T00:00:00Z"}]

        created = owner_client.post(
            "/api/v1/interviews/", {"project": str(project.pk), "conversation_data": transcript}
        )
        url = f"/api/v1/interviews/{created.json()['id']}/"
        patched = owner_client.patch(url, {"status": "completed"})
        fetched = owner_client.get(url)
        deleted = owner_client.delete(url)

        assert created.status_code == 201
        assert created.json()["conversation_data"] == transcript
        assert created.json()["status"] == "active"
        assert (patched.status_code, fetched.json()["status"]) == (200, "completed")
        assert deleted.status_code == 204
        assert not Interview.objects.exists()

    @pytest.mark.parametrize(
        "conversation",
        [
            {"role": "user"},
            [{"role": "user"}],
            [{"role": "bot", "content": "hi"}],
            [{"role": "user", "content": 1}],
        ],
    )
    def test_conversation_data_must_be_a_list_of_role_and_content(self, owner_client, owner, conversation):
        project = ProjectFactory(owner=owner)

        response = owner_client.post(
            "/api/v1/interviews/", {"project": str(project.pk), "conversation_data": conversation}
        )

        assert response.status_code == 400
        assert list(response.json()) == ["conversation_data"]
        assert not Interview.objects.exists()

    def test_project_cannot_change(self, owner_client, owner):
        interview = InterviewFactory(project__owner=owner)
        other = ProjectFactory(owner=owner)

        response = owner_client.patch(f"/api/v1/interviews/{interview.pk}/", {"project": str(other.pk)})

        assert response.status_code == 400
        assert response.json() == {"project": ["Cannot be changed after creation."]}

    def test_filter_by_project_and_status(self, owner_client, owner):
        project = ProjectFactory(owner=owner)
        wanted = InterviewFactory(project=project, status="completed")
        InterviewFactory(project=project)
        InterviewFactory(project__owner=owner, status="completed")

        body = owner_client.get(
            "/api/v1/interviews/", {"project": str(project.pk), "status": "completed"}
        ).json()

        assert [row["id"] for row in body["results"]] == [str(wanted.pk)]

    def test_unknown_status_filter_is_a_400(self, owner_client):
        response = owner_client.get("/api/v1/interviews/", {"status": "bogus"})

        assert response.status_code == 400
        assert list(response.json()) == ["status"]
