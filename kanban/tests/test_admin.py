"""Task admin writes through the kanban services: moves, WIP limits, changed fields only."""

import pytest
from django.urls import reverse

from aimodels.models import SystemSettings
from kanban.models import Task
from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory


@pytest.fixture
def board(db):
    project = ProjectFactory()
    return {
        status: [TaskFactory(project=project, status=status) for _ in range(2)]
        for status in ("todo", "review")
    }


NO_INLINE_FORMS = {
    f"{inline}-{count}_FORMS": 0 for inline in ("subtasks", "commits") for count in ("TOTAL", "INITIAL")
}


def change(client, task, **fields):
    data = {
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.priority,
        "prompt": "",
    }
    url = reverse("admin:kanban_task_change", args=[task.pk])
    return client.post(url, {**data, **fields, **NO_INLINE_FORMS})


def test_a_status_change_moves_the_task_to_the_end_of_the_column(client, staff, board):
    client.force_login(staff)
    task = board["todo"][0]

    response = change(client, task, status="review")

    assert response.status_code == 302
    column = Task.objects.filter(status="review").order_by("order")
    assert list(column) == [*board["review"], task]


def test_a_full_column_is_a_form_error_and_nothing_changes(client, staff, board):
    SystemSettings.objects.create(key="kanban.wip_limits", value={"review": 2})
    client.force_login(staff)
    task = board["todo"][0]

    response = change(client, task, status="review", title="renamed")

    assert response.status_code == 200
    assert "Column &#x27;review&#x27; is at its WIP limit of 2" in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.title) == ("todo", task.title)
    assert task.title != "renamed"


def test_add_puts_the_task_at_the_end_of_its_column(client, staff, board):
    client.force_login(staff)
    project = board["todo"][0].project

    response = client.post(
        reverse("admin:kanban_task_add"),
        {
            "project": project.pk,
            "title": "New",
            "description": "",
            "status": "todo",
            "priority": "medium",
            "prompt": "",
            **NO_INLINE_FORMS,
        },
    )

    assert response.status_code == 302
    assert (
        list(Task.objects.filter(status="todo").order_by("order").values_list("title", flat=True))[-1]
        == "New"
    )
