"""The task list pages by cursor through the board order, which an index serves."""

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan

from core.testing import postgres_only
from kanban.models import BOARD_ORDER, Task
from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def walk(client, **query):
    """Every page of the list, following `next`; the ids in the order served."""
    ids, url, pages = [], "/api/v1/tasks/", 0
    while url:
        body = client.get(url, query if pages == 0 else None).json()
        assert set(body) == {"next", "results"}
        ids += [task["id"] for task in body["results"]]
        url, pages = body["next"], pages + 1
    return ids, pages


def test_pages_follow_the_board_order_without_gaps_or_repeats(owner_client, owner):
    for project in (ProjectFactory(owner=owner), ProjectFactory(owner=owner)):
        for status in ("done", "backlog", "review"):
            TaskFactory.create_batch(7, project=project, status=status)
    TaskFactory.create_batch(3)  # someone else's

    ids, pages = walk(owner_client, page_size=10)

    board = Task.objects.filter(project__owner=owner).order_by("column", "order", "id")
    assert ids == [str(pk) for pk in board.values_list("pk", flat=True)]
    assert pages == 5
    assert [Task.objects.get(pk=pk).status for pk in ids[::14]] == ["backlog", "review", "done"]


def test_a_task_added_behind_the_cursor_is_on_a_later_page(owner_client, owner):
    project = ProjectFactory(owner=owner)
    TaskFactory.create_batch(4, project=project)
    first = owner_client.get("/api/v1/tasks/", {"page_size": 2}).json()

    added = TaskFactory(project=project, status="done")
    second = owner_client.get(first["next"]).json()
    third = owner_client.get(second["next"]).json()

    assert [len(page["results"]) for page in (first, second, third)] == [2, 2, 1]
    assert (third["results"][0]["id"], third["next"]) == (str(added.pk), None)


@pytest.mark.parametrize(
    ("query", "field"),
    [({"cursor": "not-a-cursor"}, "cursor"), ({"cursor": "WzFd"}, "cursor"), ({"page_size": 0}, "page_size")],
)
def test_a_bad_cursor_or_size_is_a_400_naming_it(owner_client, query, field):
    response = owner_client.get("/api/v1/tasks/", query)

    assert (response.status_code, list(response.json())) == (400, [field])


@postgres_only()
@pytest.mark.parametrize("by_project", [False, True], ids=["owner's list", "?project="])
@pytest.mark.parametrize("deep", [False, True], ids=["page 1", "after a cursor"])
def test_an_index_serves_the_order_with_no_sort(owner, by_project, deep):
    project = ProjectFactory(owner=owner)
    TaskFactory.create_batch(3, project=project)
    tasks = Task.objects.for_user(owner).in_board_order()
    if by_project:
        tasks = tasks.filter(project=project)
    if deep:
        tasks = tasks.filter(
            TupleGreaterThan(Tuple(*(F(name) for name in BOARD_ORDER)), (0, 2**40, project.pk))
        )

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")  # a sort only if no index can give the order
        plan = tasks[:21].explain()

    assert "Sort" not in plan, plan
