import json
from datetime import UTC, datetime

import pytest
from rest_framework.renderers import JSONRenderer

from core.testing import created
from kanban import services
from kanban.models import ORDER_GAP, Task
from kanban.serializers import TaskSerializer
from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory, PromptFactory


@pytest.mark.django_db
class TestTasksApi:
    def test_create_answers_the_whole_task_at_the_end_of_its_column(self, owner_client, owner):
        project = ProjectFactory(owner=owner)
        prompt = PromptFactory(project=project)
        TaskFactory(project=project, status="todo")

        response = owner_client.post(
            "/api/v1/tasks/",
            {"project": str(project.pk), "prompt": str(prompt.pk), "title": "Checkout", "status": "todo"},
        )

        _, body = created(response, Task)
        assert body == {
            "project": str(project.pk),
            "prompt": str(prompt.pk),
            "parent": None,
            "title": "Checkout",
            "description": "",
            "details": "",
            "test_strategy": "",
            "status": "todo",
            "priority": "medium",
            "complexity": None,
            "order": 2 * ORDER_GAP,
            "dependencies": [],
            "blocked": False,
            "ai_usage": {
                "calls": 0,
                "failed_calls": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "unknown_token_calls": 0,
                "cost": "0.00000000",
                "unknown_cost_calls": 0,
            },
            "claim": None,
            "brief": {},
            "checkpoint": {"required": "off", "plan_approved": False, "result_approved": False},
        }

    @pytest.mark.parametrize(
        ("payload", "errors"),
        [
            ({"title": "   "}, {"title": ["This field may not be blank."]}),
            ({"title": "t" * 256}, {"title": ["Ensure this field has no more than 255 characters."]}),
            ({"title": "x", "status": "doing"}, {"status": ['"doing" is not a valid choice.']}),
        ],
    )
    def test_bad_input_names_the_field_and_writes_nothing(self, owner_client, owner, payload, errors):
        project = ProjectFactory(owner=owner)

        response = owner_client.post("/api/v1/tasks/", {"project": str(project.pk), **payload})

        assert response.status_code == 400
        assert response.json() == errors
        assert not Task.objects.exists()

    def test_update_and_delete(self, owner_client, owner):
        task = TaskFactory(project__owner=owner)

        put = owner_client.put(f"/api/v1/tasks/{task.pk}/", {"project": str(task.project_id), "title": "New"})
        patch = owner_client.patch(f"/api/v1/tasks/{task.pk}/", {"description": "Details"})
        delete = owner_client.delete(f"/api/v1/tasks/{task.pk}/")

        assert (put.status_code, put.json()["title"]) == (200, "New")
        assert (patch.status_code, patch.json()["description"]) == (200, "Details")
        assert delete.status_code == 200
        assert delete.json() == {"deleted": [str(task.pk)], "dependencies_removed": []}
        assert not Task.objects.exists()

    def test_patching_status_moves_the_task_to_the_end_of_the_new_column(self, owner_client, owner):
        project = ProjectFactory(owner=owner)
        task = TaskFactory(project=project)
        done = TaskFactory(project=project, status="done")

        response = owner_client.patch(f"/api/v1/tasks/{task.pk}/", {"status": "done"})

        assert response.status_code == 200
        assert response.json()["status"] == "done"
        assert response.json()["order"] > done.order

    def test_list_is_in_board_order_and_filters(self, owner_client, owner):
        project = ProjectFactory(owner=owner)
        done = TaskFactory(project=project, status="done", title="Ship")
        todo = TaskFactory(project=project, status="todo", title="Plan")
        backlog_1 = TaskFactory(project=project, title="Idea one")
        backlog_2 = TaskFactory(project=project, title="Idea two")

        listed = owner_client.get("/api/v1/tasks/", {"project": str(project.pk)}).json()["results"]
        searched = owner_client.get("/api/v1/tasks/", {"search": "idea", "status": "backlog"}).json()[
            "results"
        ]

        assert [row["id"] for row in listed] == [str(t.pk) for t in (backlog_1, backlog_2, todo, done)]
        assert [row["title"] for row in searched] == ["Idea one", "Idea two"]


@pytest.mark.django_db
def test_the_list_and_the_board_write_a_task_as_its_serializer_does(owner_client, owner):
    """They read rows with values() and leave the formatting to the JSON renderer."""
    project = ProjectFactory(owner=owner)
    prompt = PromptFactory(project=project)
    first = TaskFactory(
        project=project, prompt=prompt, title='Ünïcode \u2028 \U0001f600 "quoted"', status="todo"
    )
    second = TaskFactory(project=project, prompt=None, description="multi\nline", status="done", parent=first)
    third = TaskFactory(project=project, priority="urgent", complexity=7, details="d", test_strategy="t")
    services.dependency_add(task=third, depends_on=first)
    services.dependency_add(task=third, depends_on=second)
    Task.objects.filter(status="done").update(created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    written = {
        str(task.pk): json.loads(JSONRenderer().render(TaskSerializer(task).data))
        for task in Task.objects.all()
    }

    listed = owner_client.get("/api/v1/tasks/", {"project": project.pk}).json()["results"]
    board = owner_client.get(f"/api/v1/projects/{project.pk}/board/").json()
    cards = [task for column in board["columns"] for task in column["tasks"]]
    board_only = ("blocked_by", "subtask_progress", "place")  # BoardTaskSerializer's, a card's
    on_board = [{name: value for name, value in card.items() if name not in board_only} for card in cards]

    assert listed == on_board == [written[task["id"]] for task in listed]
    assert len(listed) == 3
    assert listed[0]["dependencies"] == [str(first.pk), str(second.pk)]
    assert listed[0]["blocked"] is True
    assert cards[0]["blocked_by"] == [{"id": str(first.pk), "title": first.title}]  # not the done one
    assert [card["subtask_progress"] for card in cards] == [
        {"done": 0, "total": 0},
        {"done": 1, "total": 1},
        {"done": 0, "total": 0},
    ]
    assert [owner_client.get(f"/api/v1/tasks/{task['id']}/").json() for task in listed] == listed
