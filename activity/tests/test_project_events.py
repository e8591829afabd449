"""A project's activity as a live event stream: records as they happen, resumable, isolated."""

import json
import threading
import time
import urllib.request

import pytest
from knox.models import AuthToken

from activity.models import Activity
from jobs.tests.test_events import parse
from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory


def read(client, project, **headers):
    response = client.get(f"/api/v1/projects/{project.pk}/events/", headers=headers)
    return response


@pytest.mark.django_db
def test_another_users_project_is_not_found(outsider_client, owner):
    project = ProjectFactory(owner=owner)

    response = outsider_client.get(f"/api/v1/projects/{project.pk}/events/")

    assert (response.status_code, response.json()) == (404, {"detail": "No Project matches the given query."})


@pytest.mark.django_db
def test_a_bad_last_event_id_is_a_400_naming_it(owner_client, owner):
    project = ProjectFactory(owner=owner)

    response = owner_client.get(f"/api/v1/projects/{project.pk}/events/", headers={"Last-Event-ID": "x"})

    assert (response.status_code, list(response.json())) == (400, ["Last-Event-ID"])


@pytest.mark.django_db(transaction=True)
def test_writes_arrive_live_and_a_reconnection_resumes_after_the_last_id(live_server, owner, settings):
    """A stream opened on a live server receives the project's changes as they are made, by
    another client (on PostgreSQL by notification, on SQLite by polling)."""
    settings.STREAM_MAX_SECONDS = 5
    project = ProjectFactory(owner=owner)
    token = AuthToken.objects.create(owner)[1]
    received, opened = [], threading.Event()

    def listen():
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/projects/{project.pk}/events/",
            headers={"Authorization": f"Token {token}", "Accept": "text/event-stream"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            opened.set()
            buffer = ""
            while len(parse(buffer)) < 2:
                buffer += response.read1(4096).decode()
            received.extend(parse(buffer))

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(10)
    time.sleep(0.3)  # the stream has read what it missed: only new records follow
    started = time.monotonic()
    task = TaskFactory(project=project, title="Cart")
    from kanban import services

    services.task_move(task=task, status="todo")
    listener.join(10)

    assert time.monotonic() - started < 2
    assert [(e["event"], e["data"]["object_repr"]) for e in received] == [
        ("task.created", "Cart"),
        ("task.moved", "Cart"),
    ]
    created = Activity.objects.get(verb="created", object_type="kanban.task")
    assert received[0]["id"] == created.pk and received[0]["data"]["changes"]["title"]["to"] == "Cart"

    # Resumed after the first: the second again, and nothing more (the stream ends by itself).
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/projects/{project.pk}/events/",
        headers={"Authorization": f"Token {token}", "Last-Event-ID": str(created.pk)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert [e["event"] for e in parse(response.read().decode())] == ["task.moved"]


@pytest.mark.django_db
def test_a_finished_job_is_a_record_of_the_project(owner_client, owner, openai_server):
    from conftest import ai_model_on, finished_job

    ai_model_on(openai_server)
    openai_server.reply("feat: add the cart")
    task = TaskFactory(project__owner=owner)

    job = finished_job(owner_client.post("/api/v1/commits/generate/", {"task": str(task.pk), "changes": {}}))

    record = Activity.objects.get(object_type="jobs.job")
    assert (record.object_id, record.verb, record.event_type) == (job["id"], "succeeded", "job.succeeded")
    assert record.project_id == task.project_id and record.actor == owner
    assert json.loads(json.dumps(record.via)) == {"job": job["id"], "kind": "commit_generate"}


@pytest.mark.django_db
def test_every_kind_of_change_is_an_event(owner_client, owner, settings, openai_server):
    """Creates, changes, moves, dependencies, labels, finished jobs and deletes, in order."""
    from conftest import ai_model_on, finished_job
    from kanban import services
    from projects import services as prompt_services
    from projects.tests.factories import PromptFactory

    settings.STREAM_MAX_SECONDS = 1  # the stream ends by itself once it has caught up
    project = ProjectFactory(owner=owner)
    cart, search = TaskFactory(project=project, title="Cart"), TaskFactory(project=project, title="Search")
    services.task_update(task=cart, title="Basket")
    services.task_move(task=cart, status="todo")
    services.dependency_add(task=search, depends_on=cart)
    services.dependency_remove(task=search, depends_on=cart)
    prompt_services.prompt_label_move(prompt=PromptFactory(project=project), name="production")
    ai_model_on(openai_server)
    openai_server.reply("feat: add the basket")
    finished_job(owner_client.post("/api/v1/commits/generate/", {"task": str(cart.pk), "changes": {}}))
    services.task_delete(task=search)

    response = read(owner_client, project, **{"Last-Event-ID": "0"})
    events = parse(b"".join(response.streaming_content).decode())

    names = [event["event"] for event in events]
    assert names[:3] == ["project.created", "task.created", "task.created"]
    assert names[3:] == [
        "task.changed",  # the title
        "task.moved",
        "task.changed",  # a dependency added
        "task.changed",  # and removed
        "prompt.created",
        "prompt.label_moved",
        "commit.created",
        "job.succeeded",
        "task.deleted",
    ]
    dependencies = [event["data"]["changes"]["dependencies"] for event in events[5:7]]
    assert dependencies == [{"from": [], "to": [str(cart.pk)]}, {"from": [str(cart.pk)], "to": []}]
    assert [event["id"] for event in events] == sorted(event["id"] for event in events)
