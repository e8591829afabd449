import pytest

from aimodels.tests.factories import SystemSettingsFactory
from kanban.models import Task, TaskDependency
from kanban.serializers import BoardTaskSerializer
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
        assert [column["matching"] for column in board["columns"]] == [3, 0, 2, 0, 1]
        assert set(board["columns"][0]["tasks"][0]) == set(BoardTaskSerializer.Meta.fields)

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
        # the approval policy, their dependencies (with their blockers' titles), their live
        # approvals, the subtask progress (at limit 0, only the counts)
        with django_assert_num_queries(3 if limit == 0 else 6):
            response = owner_client.get(f"/api/v1/projects/{project.pk}/board/", query)

        columns = response.json()["columns"]
        assert [column["count"] for column in columns] == [tasks_per_column] * 5
        listed = tasks_per_column if limit is None else min(limit, tasks_per_column)
        assert [len(column["tasks"]) for column in columns] == [listed] * 5

    @pytest.mark.parametrize("limit", [None, 0, 10])
    def test_filtered_queries_are_constant_too(self, owner_client, owner, django_assert_num_queries, limit):
        project = ProjectFactory(owner=owner)
        TaskFactory.create_batch(3, project=project, priority="high", title="Cab")
        query = {"priority": "high", "blocked": "false", "search": "a b"}
        query.update({} if limit is None else {"limit_per_column": limit})

        # project, WIP limits setting, the matching tasks with their column counts, AI usage,
        # claims and the approval policy, their dependencies (with their blockers' titles),
        # their live approvals, the subtask progress, the columns' whole counts (at limit 0,
        # only the two counts)
        with django_assert_num_queries(4 if limit == 0 else 7):
            response = owner_client.get(f"/api/v1/projects/{project.pk}/board/", query)

        assert response.status_code == 200

    def test_filters_narrow_the_cards_and_matching_and_keep_the_counts_whole(self, owner_client, owner):
        SystemSettingsFactory(key="kanban.wip_limits", value={"todo": 3})
        project = ProjectFactory(owner=owner)
        for title in ("Pay by card", "Pay later", "Cart"):
            TaskFactory(project=project, title=title, status="todo", priority="high")
        TaskFactory(project=project, title="Pay in shop", status="todo", priority="low")
        TaskFactory.create_batch(2, project=project, title="Pay", status="done", priority="high")
        url = f"/api/v1/projects/{project.pk}/board/"

        board = owner_client.get(url, {"priority": "high", "search": "pay", "limit_per_column": 1}).json()

        todo, done = board["columns"][1], board["columns"][4]
        assert (todo["count"], todo["matching"], todo["wip_limit"], titles(todo)) == (4, 2, 3, "Pay by card")
        assert (done["count"], done["matching"], len(done["tasks"])) == (2, 2, 1)
        assert [column["matching"] for column in board["columns"]] == [0, 2, 0, 0, 2]
        phrase = owner_client.get(url, {"search": '"by card"'}).json()["columns"][1]
        assert (phrase["matching"], titles(phrase)) == (1, "Pay by card")

    @pytest.mark.parametrize(
        ("query", "places"),
        [
            ({}, [0, 1, 2, 3]),
            ({"limit_per_column": 3}, [0, 1, 2]),
            ({"priority": "low"}, [1, 3]),
            ({"priority": "low", "limit_per_column": 1}, [1]),
        ],
    )
    def test_each_card_has_its_place_in_the_whole_column(self, owner_client, owner, query, places):
        project = ProjectFactory(owner=owner)
        for priority in ("high", "low", "high", "low"):
            TaskFactory(project=project, status="todo", priority=priority)

        board = owner_client.get(f"/api/v1/projects/{project.pk}/board/", query).json()

        assert [task["place"] for task in board["columns"][1]["tasks"]] == places

    def test_the_blocked_filter_and_the_blockers_and_subtasks_of_cards_not_listed(self, owner_client, owner):
        project = ProjectFactory(owner=owner)
        pay = TaskFactory(project=project, title="Pay", status="todo")
        for title, status in (("Cart", "backlog"), ("Login", "done")):
            TaskDependency.objects.create(
                task=pay, depends_on=TaskFactory(project=project, title=title, status=status)
            )
        TaskFactory(project=project, title="Card", parent=pay, status="done")
        TaskFactory(project=project, title="Refund", parent=pay)
        url = f"/api/v1/projects/{project.pk}/board/"

        board = owner_client.get(url, {"blocked": "true"}).json()

        assert [titles(column) for column in board["columns"]] == ["", "Pay", "", "", ""]
        (card,) = board["columns"][1]["tasks"]
        cart = Task.objects.get(title="Cart")
        assert card["blocked_by"] == [{"id": str(cart.pk), "title": "Cart"}]  # not the done one
        assert card["subtask_progress"] == {"done": 1, "total": 2}
        unblocked = owner_client.get(url, {"blocked": "false"}).json()
        assert "Pay" not in [t["title"] for column in unblocked["columns"] for t in column["tasks"]]

    @pytest.mark.parametrize(
        ("query", "field"), [({"priority": "huge"}, "priority"), ({"blocked": "maybe"}, "blocked")]
    )
    def test_a_bad_filter_is_a_400_naming_it(self, owner_client, project, query, field):
        response = owner_client.get(f"/api/v1/projects/{project.pk}/board/", query)

        assert (response.status_code, list(response.json())) == (400, [field])

    def test_another_users_board_is_not_found(self, outsider_client, project):
        assert outsider_client.get(f"/api/v1/projects/{project.pk}/board/").status_code == 404
