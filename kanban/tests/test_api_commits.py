import pytest

from core.testing import iso
from kanban.models import Commit
from kanban.tests.factories import NOT_IN_GIT, CommitFactory, TaskFactory


def create(client, task, **body):
    return client.post("/api/v1/commits/", {"task": str(task.pk), **body})


@pytest.mark.django_db
class TestCommitsApi:
    def test_create_takes_the_tasks_project(self, owner_client, task):
        response = create(owner_client, task, type="fix", scope="cart", message="fix(cart): round totals")

        assert response.status_code == 201
        commit = Commit.objects.get()
        assert response.json() == {
            "id": str(commit.pk),
            "task": str(task.pk),
            "project": str(task.project_id),
            "type": "fix",
            "scope": "cart",
            "breaking": False,
            "message": "fix(cart): round totals",
            "changes": {},
            "created_by_ai_model": "",
            "author": "AI System",
            "timestamp": iso(commit.timestamp),
            **NOT_IN_GIT,
        }

    def test_project_in_the_body_is_ignored(self, owner_client, owner, task):
        other = TaskFactory(project__owner=owner)

        response = create(owner_client, task, project=str(other.project_id), type="fix", message="fix: x")

        assert response.json()["project"] == str(task.project_id)

    def test_task_cannot_change(self, owner_client, owner):
        commit = CommitFactory(task__project__owner=owner)
        other = TaskFactory(project=commit.project)

        response = owner_client.patch(f"/api/v1/commits/{commit.pk}/", {"task": str(other.pk)})

        assert response.status_code == 400
        assert response.json() == {"task": ["Cannot be changed after creation."]}

    def test_unknown_type_is_a_400(self, owner_client, task):
        response = create(owner_client, task, type="feature", message="x")

        assert response.status_code == 400
        assert list(response.json()) == ["type"]

    def test_update_delete_and_filters(self, owner_client, owner):
        commit = CommitFactory(task__project__owner=owner, type="feat", breaking=True)
        CommitFactory(task=commit.task, type="fix")

        filtered = owner_client.get("/api/v1/commits/", {"type": "feat", "breaking": "true"}).json()
        patched = owner_client.patch(f"/api/v1/commits/{commit.pk}/", {"message": "feat(api)!: new api"})
        deleted = owner_client.delete(f"/api/v1/commits/{commit.pk}/")

        assert [row["id"] for row in filtered["results"]] == [str(commit.pk)]
        assert patched.json()["scope"] == "api"
        assert deleted.status_code == 204


HEADER_COMPLAINT = (
    "The first line must be '<type>[(<scope>)][!]: <description>', e.g. 'feat(board): add columns'."
)
TYPE_COMPLAINT = (
    "The type 'wip' is not one of feat, fix, docs, style, refactor, test, chore, perf, build, ci, revert."
)


@pytest.mark.django_db
class TestCommitMessages:
    def test_type_scope_and_breaking_come_from_the_message(self, owner_client, task):
        response = create(
            owner_client, task, message="refactor(api)!: drop v0\n\nBREAKING CHANGE: v0 is gone"
        )

        assert response.status_code == 201
        assert {k: response.json()[k] for k in ("type", "scope", "breaking")} == {
            "type": "refactor",
            "scope": "api",
            "breaking": True,
        }

    @pytest.mark.parametrize(
        ("payload", "errors"),
        [
            (
                {"message": "added stuff"},
                {"message": [HEADER_COMPLAINT]},
            ),
            (
                {"message": "wip: stuff"},
                {"message": [TYPE_COMPLAINT]},
            ),
            ({"message": "fix: x", "type": "feat"}, {"type": ["Does not match the message header ('fix')."]}),
            (
                {"message": "fix(a): x", "scope": "b", "breaking": True},
                {
                    "scope": ["Does not match the message header ('a')."],
                    "breaking": ["Does not match the message header (False)."],
                },
            ),
        ],
    )
    def test_invalid_messages_are_400s_and_store_nothing(self, owner_client, task, payload, errors):
        response = create(owner_client, task, **payload)

        assert response.status_code == 400
        assert response.json() == errors
        assert not Commit.objects.exists()

    def test_changing_the_message_rederives_the_header_fields(self, owner_client, owner):
        commit = CommitFactory(task__project__owner=owner)

        response = owner_client.patch(f"/api/v1/commits/{commit.pk}/", {"message": "docs: explain moves"})

        assert (response.json()["type"], response.json()["scope"]) == ("docs", "")
