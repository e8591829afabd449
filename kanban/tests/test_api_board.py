import pytest

from aimodels.tests.factories import SystemSettingsFactory
from kanban.models import Task
from kanban.serializers import TaskSerializer
from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory

COLUMNS = ["backlog", "todo", "in_progress", "review", "done"]


@pytest.fixture
def project(owner):
    project = ProjectFactory(owner=owner)
    for status, titles in {"backlog": "ABC", "in_progress": "DE", "done": "F"}.items():
        for title in titles:
            TaskFactory(project=project, status=status, title=title)
    return project


def titles(column) -> str:
    return "".join(task["title"] for task in column["tasks"])


@pytest.mark.django_db
class TestMove:
    def test_moves_and_answers_the_task(self, owner_client, project):
        task = Task.objects.get(title="C")

        response = owner_client.post(
            f"/api/v1/tasks/{task.pk}/move/", {"status": "in_progress", "position": 1}
        )

        assert response.status_code == 200
        assert (response.json()["id"], response.json()["status"]) == (str(task.pk), "in_progress")
        board = owner_client.get(f"/api/v1/projects/{project.pk}/board/").json()
        assert [titles(column) for column in board["columns"]] == ["AB", "", "DCE", "", "F"]

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"status": "todo", "position": -1}, "position"),
            ({"status": "todo", "position": 1.5}, "position"),
            ({"status": "todo", "position": "first"}, "position"),
            ({"status": "doing", "position": 0}, "status"),
            ({"position": 0}, "status"),
        ],
    )
    def test_bad_input_is_a_400_and_moves_nothing(self, owner_client, project, payload, field):
        task = Task.objects.get(title="A")

        response = owner_client.post(f"/api/v1/tasks/{task.pk}/move/", payload)

        assert response.status_code == 400
        assert list(response.json()) == [field]
        assert Task.objects.get(pk=task.pk).status == "backlog"

    def test_wip_limit_answers_409_naming_column_and_limit(self, owner_client, project):
        SystemSettingsFactory(key="kanban.wip_limits", value={"in_progress": 2})
        task = Task.objects.get(title="A")

        moved = owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "in_progress", "position": 0})
        patched = owner_client.patch(f"/api/v1/tasks/{task.pk}/", {"status": "in_progress", "title": "A2"})
        created = owner_client.post(
            "/api/v1/tasks/", {"project": str(project.pk), "title": "G", "status": "in_progress"}
        )

        for response in (moved, patched, created):
            assert response.status_code == 409
            assert response.json() == {
                "detail": "Column 'in_progress' is at its WIP limit of 2; finish or move a task first."
            }
        assert Task.objects.get(pk=task.pk).title == "A"
        assert Task.objects.filter(status="in_progress").count() == 2

    def test_another_users_task_is_not_found(self, outsider_client, project):
        task = Task.objects.get(title="A")

        response = outsider_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "done", "position": 0})

        assert response.status_code == 404
        assert Task.objects.get(pk=task.pk).status == "backlog"


@pytest.mark.django_db
class TestBoard:
    def test_all_columns_in_workflow_order_with_tasks_in_order(self, owner_client, project):
        SystemSettingsFactory(key="kanban.wip_limits", value={"in_progress": 3})

        board = owner_client.get(f"/api/v1/projects/{project.pk}/board/").json()

        assert board["project"] == str(project.pk)
        assert [column["status"] for column in board["columns"]] == COLUMNS
        assert [column["count"] for column in board["columns"]] == [3, 0, 2, 0, 1]
        assert [column["wip_limit"] for column in board["columns"]] == [None, None, 3, None, None]
        assert [titles(column) for column in board["columns"]] == ["ABC", "", "DE", "", "F"]
        assert set(board["columns"][0]["tasks"][0]) == set(TaskSerializer.Meta.fields)

    def test_limit_per_column_keeps_counts_exact(self, owner_client, project):
        board = owner_client.get(f"/api/v1/projects/{project.pk}/board/", {"limit_per_column": 1}).json()

        assert [titles(column) for column in board["columns"]] == ["A", "", "D", "", "F"]
        assert [column["count"] for column in board["columns"]] == [3, 0, 2, 0, 1]

    def test_bad_limit_is_a_400(self, owner_client, project):
        response = owner_client.get(f"/api/v1/projects/{project.pk}/board/", {"limit_per_column": -1})

        assert response.status_code == 400
        assert list(response.json()) == ["limit_per_column"]

    @pytest.mark.parametrize("tasks_per_column", [1, 30])
    @pytest.mark.parametrize("limit", [None, 0, 10])
    def test_constant_queries(self, owner_client, owner, django_assert_num_queries, tasks_per_column, limit):
        project = ProjectFactory(owner=owner)
        for status in COLUMNS:
            TaskFactory.create_batch(tasks_per_column, project=project, status=status)
        query = {} if limit is None else {"limit_per_column": limit}

        # project, WIP limits setting, tasks with their column counts, AI usage, claims and
        # the approval policy, their dependencies, their live approvals (at limit 0, only the
        # counts)
        with django_assert_num_queries(3 if limit == 0 else 5):
            response = owner_client.get(f"/api/v1/projects/{project.pk}/board/", query)

        columns = response.json()["columns"]
        assert [column["count"] for column in columns] == [tasks_per_column] * 5
        listed = tasks_per_column if limit is None else min(limit, tasks_per_column)
        assert [len(column["tasks"]) for column in columns] == [listed] * 5

    def test_another_users_board_is_not_found(self, outsider_client, project):
        assert outsider_client.get(f"/api/v1/projects/{project.pk}/board/").status_code == 404
