"""Planning fields and their rules: subtasks, dependencies, blocked tasks, the next task."""

import pytest
from django.db import IntegrityError, transaction

from aimodels.models import SystemSettings
from core.testing import postgres_only, run_in_threads
from kanban import services
from kanban.models import Task, TaskDependency
from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(owner):
    return ProjectFactory(owner=owner)


def create(client, project, **fields):
    return client.post("/api/v1/tasks/", {"project": str(project.pk), "title": "T", **fields})


class TestFields:
    def test_a_task_is_written_with_its_planning_fields(self, owner_client, project):
        parent, awaited = TaskFactory(project=project), TaskFactory(project=project, status="done")

        response = create(
            owner_client,
            project,
            priority="high",
            complexity=8,
            details="Use the payment SDK.",
            test_strategy="Pay with a test card.",
            parent=str(parent.pk),
            dependencies=[str(awaited.pk)],
        )

        assert response.status_code == 201, response.json()
        task = Task.objects.get(pk=response.json()["id"])
        assert (task.priority, task.complexity, task.parent, list(task.dependencies.all())) == (
            "high",
            8,
            parent,
            [awaited],
        )
        assert response.json()["blocked"] is False

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"priority": "whenever"}, "priority"),
            ({"complexity": 0}, "complexity"),
            ({"complexity": 11}, "complexity"),
        ],
    )
    def test_out_of_range_values_are_400s_naming_the_field(self, owner_client, project, fields, field):
        response = create(owner_client, project, **fields)

        assert (response.status_code, list(response.json())) == (400, [field])
        assert not Task.objects.exists()

    def test_a_parent_or_dependency_of_another_project_is_refused(self, owner_client, owner, project):
        elsewhere = TaskFactory(project=ProjectFactory(owner=owner))

        as_parent = create(owner_client, project, parent=str(elsewhere.pk))
        as_dependency = create(owner_client, project, dependencies=[str(elsewhere.pk)])

        assert (as_parent.status_code, list(as_parent.json())) == (400, ["parent"])
        assert (as_dependency.status_code, list(as_dependency.json())) == (400, ["dependencies"])
        assert Task.objects.count() == 1

    def test_subtasks_have_no_subtasks(self, owner_client, project):
        subtask = TaskFactory(project=project, parent=TaskFactory(project=project))

        response = create(owner_client, project, parent=str(subtask.pk))
        adopting = owner_client.patch(f"/api/v1/tasks/{subtask.parent_id}/", {"parent": str(subtask.pk)})

        assert (response.status_code, list(response.json())) == (400, ["parent"])
        assert (adopting.status_code, list(adopting.json())) == (400, ["parent"])

    def test_a_cycle_is_refused_and_nothing_changes(self, owner_client, project):
        a, b, c = (TaskFactory(project=project) for _ in range(3))
        services.dependency_add(task=b, depends_on=a)
        services.dependency_add(task=c, depends_on=b)

        closing = owner_client.patch(f"/api/v1/tasks/{a.pk}/", {"dependencies": [str(c.pk)], "title": "x"})
        itself = owner_client.patch(f"/api/v1/tasks/{a.pk}/", {"dependencies": [str(a.pk)]})

        assert (closing.status_code, list(closing.json())) == (400, ["dependencies"])
        assert (itself.status_code, list(itself.json())) == (400, ["dependencies"])
        assert not a.dependencies.exists()
        assert Task.objects.get(pk=a.pk).title == a.title

    def test_a_write_replaces_the_dependencies(self, owner_client, project):
        task, old, new = (TaskFactory(project=project) for _ in range(3))
        services.dependency_add(task=task, depends_on=old)

        response = owner_client.patch(f"/api/v1/tasks/{task.pk}/", {"dependencies": [str(new.pk)]})

        assert response.json()["dependencies"] == [str(new.pk)]
        assert list(task.dependencies.all()) == [new]

    @pytest.mark.parametrize("same", [True, False])
    def test_the_database_forbids_duplicate_and_self_dependencies(self, project, same):
        task, other = TaskFactory(project=project), TaskFactory(project=project)
        TaskDependency.objects.create(task=task, depends_on=other)

        with pytest.raises(IntegrityError), transaction.atomic():
            TaskDependency.objects.create(task=task, depends_on=task if same else other)


class TestBlocked:
    def test_the_list_the_board_and_the_filter_show_blocked_tasks(self, owner_client, project):
        awaited = TaskFactory(project=project, title="awaited")
        waiting = TaskFactory(project=project, title="waiting")
        services.dependency_add(task=waiting, depends_on=awaited)

        listed = owner_client.get("/api/v1/tasks/", {"project": project.pk}).json()["results"]
        board = owner_client.get(f"/api/v1/projects/{project.pk}/board/").json()
        blocked = owner_client.get("/api/v1/tasks/", {"blocked": "true"}).json()["results"]
        free = owner_client.get("/api/v1/tasks/", {"blocked": "false"}).json()["results"]

        assert {task["title"]: task["blocked"] for task in listed} == {"awaited": False, "waiting": True}
        assert {task["title"]: task["blocked"] for task in board["columns"][0]["tasks"]} == {
            "awaited": False,
            "waiting": True,
        }
        assert [task["title"] for task in blocked] == ["waiting"]
        assert [task["title"] for task in free] == ["awaited"]

    @pytest.mark.parametrize("status", ["in_progress", "review", "done"])
    def test_a_blocked_task_cannot_start_through_any_write(self, owner_client, project, status):
        awaited = TaskFactory(project=project, title="Design")
        waiting = TaskFactory(project=project)
        services.dependency_add(task=waiting, depends_on=awaited)

        moved = owner_client.post(f"/api/v1/tasks/{waiting.pk}/move/", {"status": status})
        patched = owner_client.patch(f"/api/v1/tasks/{waiting.pk}/", {"status": status})

        for response in (moved, patched):
            assert response.status_code == 409
            assert response.json()["blockers"] == [str(awaited.pk)]
            assert "'Design'" in response.json()["detail"]
        assert Task.objects.get(pk=waiting.pk).status == "backlog"

    def test_a_done_dependency_no_longer_blocks(self, owner_client, project):
        awaited, waiting = TaskFactory(project=project), TaskFactory(project=project)
        services.dependency_add(task=waiting, depends_on=awaited)
        services.task_move(task=awaited, status="done")

        response = owner_client.post(f"/api/v1/tasks/{waiting.pk}/move/", {"status": "in_progress"})

        assert (response.status_code, response.json()["blocked"]) == (200, False)

    def test_the_setting_turns_the_rule_off(self, owner_client, project):
        SystemSettings.objects.create(key="kanban.enforce_dependencies", value=False)
        awaited, waiting = TaskFactory(project=project), TaskFactory(project=project)
        services.dependency_add(task=waiting, depends_on=awaited)

        response = owner_client.post(f"/api/v1/tasks/{waiting.pk}/move/", {"status": "in_progress"})

        assert (response.status_code, response.json()["blocked"]) == (200, True)

    def test_creating_a_started_task_that_waits_is_refused(self, owner_client, project):
        awaited = TaskFactory(project=project)

        response = create(owner_client, project, status="in_progress", dependencies=[str(awaited.pk)])

        assert response.status_code == 409
        assert Task.objects.count() == 1

    def test_a_parent_with_open_subtasks_cannot_be_done(self, owner_client, project):
        parent = TaskFactory(project=project)
        open_subtask = TaskFactory(project=project, parent=parent)
        TaskFactory(project=project, parent=parent, status="done")

        refused = owner_client.post(f"/api/v1/tasks/{parent.pk}/move/", {"status": "done"})
        services.task_move(task=open_subtask, status="done")
        allowed = owner_client.post(f"/api/v1/tasks/{parent.pk}/move/", {"status": "done"})

        assert (refused.status_code, refused.json()["subtasks"]) == (409, [str(open_subtask.pk)])
        assert allowed.status_code == 200

    def test_deleting_an_awaited_task_removes_the_dependencies_and_says_so(self, owner_client, project):
        awaited = TaskFactory(project=project)
        subtask = TaskFactory(project=project, parent=awaited)
        waiting, waiting_on_subtask = TaskFactory(project=project), TaskFactory(project=project)
        services.dependency_add(task=waiting, depends_on=awaited)
        services.dependency_add(task=waiting_on_subtask, depends_on=subtask)

        response = owner_client.delete(f"/api/v1/tasks/{awaited.pk}/")

        assert response.status_code == 200
        assert response.json()["deleted"] == [str(awaited.pk), str(subtask.pk)]
        assert sorted(response.json()["dependencies_removed"], key=lambda edge: edge["task"]) == sorted(
            [
                {"task": str(waiting.pk), "depends_on": str(awaited.pk)},
                {"task": str(waiting_on_subtask.pk), "depends_on": str(subtask.pk)},
            ],
            key=lambda edge: edge["task"],
        )
        assert not TaskDependency.objects.exists()
        assert set(Task.objects.values_list("pk", flat=True)) == {waiting.pk, waiting_on_subtask.pk}


class TestNextTask:
    def url(self, project):
        return f"/api/v1/projects/{project.pk}/next-task/"

    def test_highest_priority_then_fewest_dependencies_then_board_order(self, owner_client, project):
        done = TaskFactory(project=project, status="done")
        TaskFactory(project=project, priority="urgent", status="in_progress")  # started
        blocked = TaskFactory(project=project, priority="urgent")
        services.dependency_add(task=blocked, depends_on=TaskFactory(project=project, priority="low"))
        two = TaskFactory(project=project, priority="high", title="two dependencies")
        one = TaskFactory(project=project, priority="high", title="one dependency")
        later = TaskFactory(project=project, priority="high", title="one dependency, later")
        services.task_update(task=two, dependencies=[done, TaskFactory(project=project, status="done")])
        for task in (one, later):
            services.dependency_add(task=task, depends_on=done)

        first = owner_client.get(self.url(project))
        services.task_move(task=one, status="in_progress")
        second = owner_client.get(self.url(project))
        services.task_move(task=later, status="in_progress")
        third = owner_client.get(self.url(project))

        assert first.status_code == 200
        assert first.json()["task"]["id"] == str(one.pk)
        assert first.json()["reason"] == (
            "Priority high, the highest of 4 unblocked task(s) not started; of the 3 at that priority, "
            "it has the fewest dependencies (1), and of the 2 with as few, it comes first on the board."
        )
        assert second.json()["task"]["id"] == str(later.pk)
        assert third.json()["task"]["id"] == str(two.pk)
        assert third.json()["reason"] == "Priority high, the highest of 2 unblocked task(s) not started."

    def test_nothing_to_do_is_a_204(self, owner_client, project):
        TaskFactory(project=project, status="done")

        assert owner_client.get(self.url(project)).status_code == 204

    def test_another_users_project_is_not_found(self, outsider_client, project):
        TaskFactory(project=project)

        assert outsider_client.get(self.url(project)).status_code == 404


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_dependency_writes_cannot_close_a_cycle():
    project = ProjectFactory()
    for _ in range(10):
        a, b = TaskFactory(project=project), TaskFactory(project=project)

        outcomes = run_in_threads(
            [
                lambda a=a, b=b: services.dependency_add(task=a, depends_on=b),
                lambda a=a, b=b: services.dependency_add(task=b, depends_on=a),
            ]
        )

        assert sorted(isinstance(outcome, Exception) for outcome in outcomes) == [False, True]
        assert TaskDependency.objects.filter(task__in=[a, b]).count() == 1
