"""Benchmark: CPU per write request against a floor, on PostgreSQL, with 0 and 10 webhook subscriptions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orchestrator .venv/bin/python benchmarks/writepath.py

Builds a throwaway database with one user (signed in by an API token, as clients are) and two
projects alike, each a board of 10,000 tasks (2,000 per column, every tenth waiting for the one
before it) and a prompt; one has no webhook subscription, the other 10 (every event). Jobs and
deliveries are queued (CELERY_BROKER_URL=memory://), not run inline, so a request does its own
work: its rows, one activity record per change and one webhook outbox row per transaction,
whatever the subscriptions (after commit the API queues the outbox's dispatch; workers make the
deliveries). Every request goes through Django's WSGI handler in this process, as a server's
worker runs it (middleware, URL routing, the token check, the view, the rendered body, and the
response closed, which ends the request). The floor is the least a request making the same
write can do: a plain Django view, behind the same handler and middleware, that checks the token
with one query, then writes the same rows as the API (the task or prompt, the activity record,
the outbox row) with the ORM in one transaction, and answers the written row as the API does
(its dependencies and `blocked` read in one more query, its AI usage from its columns) from
`values()` with orjson. The floor skips every check and lock the API makes: no board lock, no
lineage lock (the unique keys refuse a race), no WIP limit, no blocked-task or subtask check, no
cycle or same-project check of a dependency, no validation of the body (`full_clean`, the
serializer), no reading of the project or the referenced tasks; it scopes its one read of the
task or prompt (the read-back, for a create) to the user's projects. It locks only the task it
changes (its values are the history's "before"), puts a moved task first in its column (every
move here asks for position 0; never a relabel) and queues no dispatch of its outbox row (the
workers' `deliver_due` would find it). Each side alternates between two states so that every
request changes something: a title between two, a move between backlog and to do (first), a
dependency between two tasks (each request removes one and adds the other); each version
is a new one of its prompt's lineage, which grows by a version per request (over 100 by the end).

CPU time (this process: Python, the driver; not PostgreSQL's) per request is the median of 21
rounds, the API and its floor taking turns within each round, so both see the same machine. The
ratio is the median of the rounds' ratios (each pair measured back to back, so a machine that
drifts slower or faster moves both). The queries are those each side sends for one request
(savepoints included; BEGIN and COMMIT are not statements the driver is sent). It asserts
nothing; the numbers go in the README.
"""

import io
import itertools
import statistics
import time

import production

# Queued, not inline (JOBS_INLINE is then off): dispatches and deliveries wait for workers, in memory.
production.setup(CELERY_BROKER_URL="memory://")

import orjson  # noqa: E402
from database import fill_board, throwaway_postgres_database  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402
from floors import token_user  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from activity.models import Activity  # noqa: E402
from aimodels.models import ai_usage_of  # noqa: E402
from kanban.models import BOARD_ORDER, ORDER_GAP, Task, TaskDependency  # noqa: E402
from kanban.serializers import STORED_TASK_FIELDS  # noqa: E402
from projects.models import Project, Prompt  # noqa: E402
from projects.serializers import PromptSerializer  # noqa: E402
from webhooks.models import WebhookOutbox, WebhookSubscription  # noqa: E402

TASKS = 10_000
SUBSCRIPTIONS = (0, 10)
ROUNDS = 21
REQUESTS = 6  # per side and round: even, so each round sees both states of each alternation
# The task's columns (its AI usage included); its dependencies come from one more query.
TASK_FIELDS = [*STORED_TASK_FIELDS, *Task.AI_USAGE]
# The prompt's columns: a new version has no labels.
PROMPT_FIELDS = [name for name in PromptSerializer.Meta.fields if name != "labels"]
# What the history records of a new task or prompt: each recorded field, from None.
TASK_RECORDED, PROMPT_RECORDED = Task._recorded_names(), Prompt._recorded_names()
CARRIED = (
    "project_id",
    "lineage",
    "content",
    "components",
    "type",
    "is_reusable",
    "created_from_interview_id",
)


def dumped(payload, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(payload), content_type="application/json", status=status)


def recorded(user, instance_type, *, pk, project_id, title: str, verb: str, changes: dict) -> None:
    """The activity record of one change, and the transaction's outbox row with its event, as
    the history's receivers write them."""
    activity = Activity.objects.create(
        project_id=project_id,
        object_type=instance_type._meta.label_lower,
        object_id=str(pk),
        object_repr=title[:200],
        verb=verb,
        changes=changes,
        actor=user,
        channel=Activity.Channel.API,
    )
    data = {
        "id": activity.object_id,
        "object": activity.object_repr,
        "changes": changes,
        "actor": user.get_username(),
        "channel": activity.channel,
        "at": activity.created_at,
    }
    event = {"type": f"{instance_type._meta.model_name}.{verb}", "data": data}
    WebhookOutbox.objects.create(project_id=project_id, events=[event])


def recorded_creation(user, instance, *, fields, title: str) -> None:
    """`recorded` for a new row: its recorded `fields`, each from None."""
    changes = {name: {"from": None, "to": getattr(instance, name)} for name in fields}
    recorded(
        user,
        type(instance),
        pk=instance.pk,
        project_id=instance.project_id,
        title=title,
        verb="created",
        changes=changes,
    )


def with_usage(row: dict) -> dict:
    row["ai_usage"] = ai_usage_of({name: row.pop(name) for name in Task.AI_USAGE})
    return row


def answered(row: dict) -> HttpResponse:
    """The task as the API answers it: what it waits for (one query) and whether one is not done."""
    edges = TaskDependency.objects.filter(task=row["id"]).order_by(*(f"depends_on__{f}" for f in BOARD_ORDER))
    statuses = list(edges.values_list("depends_on_id", "depends_on__status"))
    row["dependencies"] = [awaited for awaited, _ in statuses]
    row["blocked"] = any(status != Task.Status.DONE for _, status in statuses)
    return dumped(with_usage(row))


def locked_task(user, pk) -> dict:
    """The task, the user's, locked (only its row) for the rest of the transaction."""
    tasks = Task.objects.select_for_update(of=("self",)).filter(pk=pk, project__owner=user)
    return tasks.values(*TASK_FIELDS).get()


@csrf_exempt
def floor_create(request):
    user, body = token_user(request), orjson.loads(request.body)
    status = Task.Status.BACKLOG
    with transaction.atomic():
        column = Task.objects.in_column(project_id=body["project"], status=status)
        last = column.aggregate(last=Max("order"))["last"]
        task = Task(
            project_id=body["project"],
            title=body["title"],
            status=status,
            order=ORDER_GAP if last is None else last + ORDER_GAP,
        )
        Task.objects.bulk_create([task])
        recorded_creation(user, task, fields=TASK_RECORDED, title=task.title)
        # Read back among the user's tasks: a task in someone else's project is rolled back.
        row = Task.objects.filter(pk=task.pk, project__owner=user).values(*TASK_FIELDS).get()
    return dumped({**with_usage(row), "dependencies": [], "blocked": False}, status=201)


def floor_title(user, row: dict, title: str) -> None:
    now = timezone.now()
    Task.objects.filter(pk=row["id"]).update(title=title, updated_at=now)
    changes = {"title": {"from": row["title"], "to": title}}
    recorded(
        user, Task, pk=row["id"], project_id=row["project"], title=title, verb="changed", changes=changes
    )
    row["title"], row["updated_at"] = title, now


def floor_dependencies(user, row: dict, wanted: list[str]) -> None:
    edges = TaskDependency.objects.filter(task=row["id"])
    before = {str(pk) for pk in edges.values_list("depends_on_id", flat=True)}
    wanted = set(wanted)
    if before == wanted:
        return
    changes = {"dependencies": {"from": sorted(before), "to": sorted(wanted)}}
    recorded(
        user,
        Task,
        pk=row["id"],
        project_id=row["project"],
        title=row["title"],
        verb="changed",
        changes=changes,
    )
    if before - wanted:
        edges.filter(depends_on__in=before - wanted).delete()
    TaskDependency.objects.bulk_create(
        TaskDependency(task_id=row["id"], depends_on_id=pk) for pk in wanted - before
    )


@csrf_exempt
def floor_update(request, pk):
    user, body = token_user(request), orjson.loads(request.body)
    with transaction.atomic():
        row = locked_task(user, pk)
        if "dependencies" in body:
            floor_dependencies(user, row, body["dependencies"])
        else:
            floor_title(user, row, body["title"])
    return answered(row)


@csrf_exempt
def floor_move(request, pk):
    """To the front of the column (position 0, what every move here asks)."""
    user, body = token_user(request), orjson.loads(request.body)
    with transaction.atomic():
        row = locked_task(user, pk)
        status, project_id = body["status"], row["project"]
        changes = {"status": {"from": row["status"], "to": status}, "position": body["position"]}
        recorded(user, Task, pk=pk, project_id=project_id, title=row["title"], verb="moved", changes=changes)
        others = Task.objects.in_column(project_id=project_id, status=status).exclude(pk=pk)
        first = others.order_by("order").values_list("order", flat=True).first()
        order, now = ORDER_GAP if first is None else first - ORDER_GAP, timezone.now()
        Task.objects.filter(pk=pk).update(status=status, order=order, updated_at=now)
        row.update(status=status, order=order, updated_at=now)
    return answered(row)


@csrf_exempt
def floor_version(request, pk):
    user, body = token_user(request), orjson.loads(request.body)
    with transaction.atomic():
        carried = Prompt.objects.filter(pk=pk, project__owner=user).values(*CARRIED).get()
        last = Prompt.objects.filter(lineage=carried["lineage"]).aggregate(last=Max("version"))["last"]
        prompt = Prompt(**{**carried, "content": body["content"]}, parent_id=pk, version=last + 1)
        Prompt.objects.bulk_create([prompt])
        recorded_creation(user, prompt, fields=PROMPT_RECORDED, title=str(prompt))
        row = Prompt.objects.filter(pk=prompt.pk).values(*PROMPT_FIELDS).get()
    return dumped({**row, "labels": []}, status=201)


class Routes:
    urlpatterns = [
        path("floor/tasks/", floor_create),
        path("floor/tasks/<uuid:pk>/", floor_update),
        path("floor/tasks/<uuid:pk>/move/", floor_move),
        path("floor/prompts/<uuid:pk>/versions/", floor_version),
        path("", include("orchestrator.urls")),
    ]


def board(owner, subscriptions: int) -> dict:
    """A project of TASKS tasks, with its own tasks for each side (to rename, move, make wait)
    and a prompt each; the two tasks waited for are shared."""
    project = Project.objects.create(owner=owner, name=f"Board, {subscriptions} subscriptions")
    fill_board(project, tasks=TASKS, order_gap=ORDER_GAP)
    names = [
        "api renamed",
        "api moved",
        "api waiting",
        "floor renamed",
        "floor moved",
        "floor waiting",
        "a",
        "b",
    ]
    last = TASKS // 5 * ORDER_GAP  # the backlog's last key
    tasks = Task.objects.bulk_create(
        Task(project=project, title=name, status=Task.Status.BACKLOG, order=last + (n + 1) * ORDER_GAP)
        for n, name in enumerate(names)
    )
    ids = {name: str(task.pk) for name, task in zip(names, tasks, strict=True)}
    for side in ("api", "floor"):
        prompt = Prompt(project=project, content="Version 1", type="feature")
        prompt.lineage = prompt.pk
        Prompt.objects.bulk_create([prompt])
        ids[f"{side} prompt"] = str(prompt.pk)
    for _ in range(subscriptions):
        WebhookSubscription.objects.create(
            project=project, url="http://127.0.0.1:9/x", event_types=["*"], secret="whsec_x"
        )
    return {"project": str(project.pk), **ids}


def requests_of(factory, method: str, url: str, bodies: list[dict]):
    """The next request's environ, each in turn; a fresh body stream each."""
    encoded = [orjson.dumps(body) for body in bodies]
    environs = [
        (factory.generic(method, url, body, content_type="application/json", secure=True).environ, body)
        for body in encoded
    ]
    turns = itertools.cycle(environs)

    def next_environ() -> dict:
        environ, body = next(turns)
        return {**environ, "wsgi.input": io.BytesIO(body)}

    return next_environ


def cases(factory, ids: dict) -> list:
    """(write, the API's requests, the floor's) for one project."""
    task_body = {"project": ids["project"], "title": "A new task"}
    titles = [{"title": "Renamed"}, {"title": "Renamed again"}]
    moves = [{"status": "todo", "position": 0}, {"status": "backlog", "position": 0}]
    waits = [{"dependencies": [ids["a"]]}, {"dependencies": [ids["b"]]}]
    version = [{"content": "The next version"}]

    def both(method, api_url, floor_url, bodies):
        return requests_of(factory, method, api_url, bodies), requests_of(factory, method, floor_url, bodies)

    def of(side, name):
        return ids[f"{side} {name}"]

    return [
        ("create a task", *both("POST", "/api/v1/tasks/", "/floor/tasks/", [task_body])),
        (
            "PATCH a task's title",
            *both(
                "PATCH",
                f"/api/v1/tasks/{of('api', 'renamed')}/",
                f"/floor/tasks/{of('floor', 'renamed')}/",
                titles,
            ),
        ),
        (
            "move a task (backlog ⇄ to do, first)",
            *both(
                "POST",
                f"/api/v1/tasks/{of('api', 'moved')}/move/",
                f"/floor/tasks/{of('floor', 'moved')}/move/",
                moves,
            ),
        ),
        (
            "add a dependency (one task, then another in its place)",
            *both(
                "PATCH",
                f"/api/v1/tasks/{of('api', 'waiting')}/",
                f"/floor/tasks/{of('floor', 'waiting')}/",
                waits,
            ),
        ),
        (
            "a new prompt version",
            *both(
                "POST",
                f"/api/v1/prompts/{of('api', 'prompt')}/versions/",
                f"/floor/prompts/{of('floor', 'prompt')}/versions/",
                version,
            ),
        ),
    ]


def serve(handler, environ: dict) -> None:
    """One request, as a WSGI server serves it: the body read, then the response closed."""
    statuses = []

    def start_response(status, headers, *exc_info):
        statuses.append(status)

    response = handler(environ, start_response)
    try:
        body = b"".join(response)
    finally:
        response.close()
    assert statuses[-1][:3] in ("200", "201"), (statuses[-1], body[:500])


def cpu_ms(handler, next_environ, requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        serve(handler, next_environ())
    return (time.process_time() - started) * 1000 / requests


def queries(handler, next_environ) -> int:
    """The statements one request sends to the database."""
    sent = []

    def count(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        serve(handler, next_environ())
    return len(sent)


def main():
    # A database of its own: other benchmarks may be using test_<name> at the same time.
    connection.settings_dict["TEST"]["NAME"] = f"test_{connection.settings_dict['NAME']}_writepath"
    with throwaway_postgres_database(), override_settings(ROOT_URLCONF=Routes):
        owner = get_user_model().objects.create_user("owner")
        _, token = AuthToken.objects.create(owner)
        projects = {subscriptions: board(owner, subscriptions) for subscriptions in SUBSCRIPTIONS}
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        handler, factory = WSGIHandler(), RequestFactory(HTTP_AUTHORIZATION=f"Token {token}")
        print("| write | subscriptions | API CPU ms | floor CPU ms | ratio | API queries | floor queries |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for subscriptions, ids in projects.items():
            for label, ours, floor in cases(factory, ids):
                cpu_ms(handler, ours, REQUESTS), cpu_ms(handler, floor, REQUESTS)  # warm up
                counted = queries(handler, ours), queries(handler, floor)
                counted += queries(handler, ours), queries(handler, floor)  # and back: both states
                rounds = [
                    (cpu_ms(handler, ours, REQUESTS), cpu_ms(handler, floor, REQUESTS)) for _ in range(ROUNDS)
                ]
                api, base = (statistics.median(column) for column in zip(*rounds, strict=True))
                ratio = statistics.median(ours / floor for ours, floor in rounds)
                api_queries = "/".join(sorted({str(counted[0]), str(counted[2])}))
                floor_queries = "/".join(sorted({str(counted[1]), str(counted[3])}))
                print(
                    f"| {label} | {subscriptions} | {api:.2f} | {base:.2f} | {ratio:.2f}x "
                    f"| {api_queries} | {floor_queries} |"
                )


if __name__ == "__main__":
    main()
