"""A project's stored counts follow its rows through every kind of write."""

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from core.testing import postgres_only, run_in_threads
from kanban import services
from kanban.models import ORDER_GAP, Commit, Task
from kanban.tests.factories import CommitFactory, TaskFactory
from projects import counts
from projects.models import Interview, Project, Prompt
from projects.tests.factories import InterviewFactory, ProjectFactory, PromptFactory

pytestmark = pytest.mark.django_db


def stored(project) -> dict:
    return Project.objects.values(*Project.COUNTS).get(pk=project.pk)


def counted(project) -> dict:
    return {
        "interview_count": Interview.objects.filter(project=project).count(),
        "prompt_count": Prompt.objects.filter(project=project).count(),
        "task_count": Task.objects.filter(project=project).count(),
        "commit_count": Commit.objects.filter(project=project).count(),
    }


def test_creates_and_deletes_through_the_api_are_counted(owner_client, owner):
    project = ProjectFactory(owner=owner)
    created = [
        owner_client.post("/api/v1/tasks/", {"project": str(project.pk), "title": f"T{n}"}).json()["id"]
        for n in range(3)
    ]
    owner_client.delete(f"/api/v1/tasks/{created[0]}/")

    listed = owner_client.get("/api/v1/projects/").json()["results"][0]

    assert listed["task_count"] == 2
    assert stored(project) == counted(project) == {**counted(project), "task_count": 2}


def test_bulk_writes_cascades_and_raw_sql_are_counted():
    project, other = ProjectFactory(), ProjectFactory()
    InterviewFactory.create_batch(2, project=project)
    PromptFactory.create_batch(3, project=project)
    tasks = Task.objects.bulk_create(
        Task(project=project, title=f"T{n}", column=0, order=(n + 1) * ORDER_GAP) for n in range(5)
    )
    CommitFactory(task=tasks[0])
    Task.objects.filter(pk__in=[tasks[1].pk, tasks[2].pk]).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE kanban_task SET project_id = %s WHERE id = %s", [other.pk.hex, tasks[3].pk.hex]
        )

    assert (
        stored(project)
        == counted(project)
        == {
            "interview_count": 2,
            "prompt_count": 3,
            "task_count": 2,
            "commit_count": 1,
        }
    )
    assert stored(other) == counted(other) == {**counted(other), "task_count": 1}


def test_deleting_a_project_with_its_rows_leaves_the_others_counts_alone():
    doomed, kept = ProjectFactory(), ProjectFactory()
    TaskFactory.create_batch(3, project=doomed)
    TaskFactory.create_batch(2, project=kept)

    doomed.delete()

    assert stored(kept)["task_count"] == 2


def test_saving_a_project_keeps_the_counts_written_since_it_was_read():
    project = ProjectFactory()
    stale = Project.objects.get(pk=project.pk)
    TaskFactory(project=project)

    stale.name = "Renamed"
    stale.save()

    assert stored(project)["task_count"] == 1
    assert Project.objects.get(pk=project.pk).name == "Renamed"


def test_migrate_puts_back_triggers_a_table_rebuild_dropped():
    project = ProjectFactory()
    counts.uninstall(connection)
    TaskFactory(project=project)  # not counted: no triggers
    counts.recount(connection)

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    TaskFactory(project=project)

    assert stored(project)["task_count"] == 2


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_count_exact():
    project = ProjectFactory()
    doomed = TaskFactory.create_batch(8, project=project)

    def writer(n):
        def write():
            for title in ("one", "two"):
                services.task_create(project=project, title=title)
            doomed[n].delete()

        return write

    outcomes = run_in_threads([writer(n) for n in range(8)])

    assert outcomes == [None] * 8
    assert stored(project) == counted(project) == {**counted(project), "task_count": 16}
