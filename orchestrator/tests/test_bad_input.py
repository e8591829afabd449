"""No 500 on any input: every write endpoint refuses unstorable text, over-deep JSON and
non-finite numbers with a 400 naming the field, and over-large bodies with a 413, and
changes nothing. Runs on SQLite and on PostgreSQL (where NUL is fatal to a query)."""

import json
import re

import pytest
from django.apps import apps
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from aimodels.tests.factories import AIModelFactory, SystemSettingsFactory
from chat.tests.factories import ChatSessionFactory
from conftest import ai_model_on, client_for, job_result
from jobs.tests.factories import JobFactory
from kanban.tests.factories import CommitFactory, TaskFactory
from projects.tests.factories import InterviewFactory, ProjectFactory, PromptFactory
from webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

OUR_APPS = ("aimodels", "projects", "kanban", "chat", "jobs", "webhooks", "knox")


@pytest.fixture
def world(staff):
    project = ProjectFactory(owner=staff)
    task = TaskFactory(project=project)
    prompt = PromptFactory(project=project, content="Hello")
    webhook = WebhookSubscription.objects.create(
        project=project, url="https://example.com/hooks", event_types=["*"], secret="whsec_c2VjcmV0"
    )
    return {
        "project": project,
        "task": task,
        "prompt": prompt,
        "interview": InterviewFactory(project=project),
        "commit": CommitFactory(task=task),
        "session": ChatSessionFactory(task=task),
        "ai_model": AIModelFactory(),
        "setting": SystemSettingsFactory(key="custom.colour"),
        "webhook": webhook,
        "delivery": WebhookDelivery.objects.create(
            subscription=webhook, event_type="task.created", payload={}, status=WebhookDelivery.Status.FAILED
        ),
        "job": JobFactory(task=task),
    }


# method, path, the field the bad value goes in, the rest of a valid body.
ENDPOINTS = [
    ("post", "ai-models/", "name", lambda w: {"provider": "openai", "model": "x"}),
    ("put", "ai-models/{ai_model}/", "model", lambda w: {"name": "m", "provider": "openai"}),
    ("patch", "ai-models/{ai_model}/", "model", lambda w: {}),
    ("post", "auth/token/", "username", lambda w: {"password": "x"}),
    ("post", "chat-sessions/", "task", lambda w: {}),
    ("put", "chat-sessions/{session}/", "task", lambda w: {}),
    ("patch", "chat-sessions/{session}/", "task", lambda w: {}),
    ("post", "chat-sessions/{session}/messages/", "content", lambda w: {}),
    ("post", "commits/", "message", lambda w: {"task": str(w["task"].pk)}),
    ("put", "commits/{commit}/", "message", lambda w: {"task": str(w["task"].pk)}),
    ("patch", "commits/{commit}/", "message", lambda w: {}),
    ("post", "commits/generate/", "changes", lambda w: {"task": str(w["task"].pk)}),
    ("post", "commits/generate/", "diff", lambda w: {"task": str(w["task"].pk)}),
    ("post", "commits/{commit}/record/", "sha", lambda w: {}),
    ("post", "interviews/", "project", lambda w: {}),
    ("put", "interviews/{interview}/", "project", lambda w: {}),
    ("patch", "interviews/{interview}/", "project", lambda w: {}),
    ("post", "interviews/{interview}/messages/", "content", lambda w: {}),
    ("post", "projects/", "git_repository_info", lambda w: {"name": "P"}),
    ("put", "projects/{project}/", "name", lambda w: {}),
    ("patch", "projects/{project}/", "description", lambda w: {}),
    ("post", "prompts/", "content", lambda w: {"project": str(w["project"].pk)}),
    ("put", "prompts/{prompt}/", "components", lambda w: {"project": str(w["project"].pk)}),
    ("patch", "prompts/{prompt}/", "type", lambda w: {}),
    ("post", "prompts/{prompt}/render/", "variables", lambda w: {}),
    ("post", "prompts/{prompt}/versions/", "content", lambda w: {}),
    ("post", "prompts/{prompt}/labels/", "label", lambda w: {}),
    ("post", "prompts/{prompt}/plan/", "ai_model", lambda w: {}),
    ("post", "projects/{project}/analyze-complexity/", "ai_model", lambda w: {}),
    ("post", "prompts/generate/", "type", lambda w: {"interview": str(w["interview"].pk)}),
    ("post", "settings/", "value", lambda w: {"key": "custom.other"}),
    ("put", "settings/{setting}/", "value", lambda w: {}),
    ("patch", "settings/{setting}/", "description", lambda w: {}),
    ("post", "settings/bulk/", "settings", lambda w: {}),
    ("post", "tasks/", "title", lambda w: {"project": str(w["project"].pk)}),
    ("post", "webhooks/", "url", lambda w: {"project": str(w["project"].pk), "event_types": ["*"]}),
    ("patch", "webhooks/{webhook}/", "event_types", lambda w: {}),
    ("put", "tasks/{task}/", "description", lambda w: {"project": str(w["project"].pk), "title": "T"}),
    ("patch", "tasks/{task}/", "status", lambda w: {}),
    ("patch", "tasks/{task}/", "dependencies", lambda w: {}),
    ("post", "tasks/{task}/move/", "status", lambda w: {}),
    ("post", "tasks/{task}/expand/", "count", lambda w: {}),
    ("post", "tasks/{task}/draft-brief/", "ai_model", lambda w: {}),
    ("post", "tasks/{task}/claim/", "holder", lambda w: {}),
    ("post", "tasks/{task}/release/", "holder", lambda w: {}),
    ("post", "tasks/{task}/approve/", "comment", lambda w: {}),
    ("put", "webhooks/{webhook}/", "url", lambda w: {"project": str(w["project"].pk), "event_types": ["*"]}),
]
each_endpoint = pytest.mark.parametrize(
    ("method", "path", "field", "rest"), ENDPOINTS, ids=[f"{m} {p}" for m, p, *_ in ENDPOINTS]
)
# Actions that take no body: they never read one, so only its size matters.
BODILESS = [
    ("post", "ai-models/{ai_model}/test/"),
    ("post", "auth/logout/"),
    ("post", "auth/logout-all/"),
    ("post", "chat-sessions/{session}/complete/"),
    ("post", "interviews/{interview}/cancel/"),
    ("post", "interviews/{interview}/complete/"),
    ("post", "prompts/{prompt}/restore/"),
    ("post", "jobs/{job}/cancel/"),
    ("post", "webhooks/{webhook}/deliveries/{delivery}/redeliver/"),
]


def nested(depth: int):
    value = "deep"
    for _ in range(depth - 1):
        value = [value]
    return value


# Each class of bad value, as JSON text (1e400 only exists as text: Python reads it as inf).
BAD_VALUES = {
    "nul in a value": json.dumps("a\x00b"),
    "lone surrogate in a value": json.dumps("\ud800"),
    "nul in a key": json.dumps({"a\x00b": "x"}),
    "lone surrogate in a key": json.dumps({"\udfff": "x"}),
    "nul deep inside": json.dumps({"a": [{"b": "\x00"}]}),
    "nesting past the limit": json.dumps(nested(settings.MAX_JSON_DEPTH + 1)),
    "a number too large for a float": "1e400",
}
PROBLEMS = {
    "nesting past the limit": f"JSON may nest at most {settings.MAX_JSON_DEPTH} levels.",
    "a number too large for a float": "Numbers must be finite.",
}


def snapshot() -> dict:
    return {
        model._meta.label: sorted(map(repr, model.objects.values()))
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
    }


def url_of(path: str, world) -> str:
    return "/api/v1/" + path.format(
        **{name: getattr(obj, "key", None) or obj.pk for name, obj in world.items()}
    )


def send(client, method, url, body: str):
    return client.generic(method.upper(), url, body.encode("utf-8", "surrogatepass"), "application/json")


@pytest.mark.parametrize("bad", BAD_VALUES)
@each_endpoint
def test_bad_values_are_a_400_naming_the_field_and_change_nothing(
    staff, world, method, path, field, rest, bad
):
    body = json.dumps({**rest(world), field: "PLACEHOLDER"}).replace('"PLACEHOLDER"', BAD_VALUES[bad])
    before = snapshot()

    response = send(client_for(staff), method, url_of(path, world), body)

    problem = PROBLEMS.get(bad, "Text must not contain NUL characters or lone surrogates.")
    assert (response.status_code, response.json()) == (400, {field: [problem]})
    assert snapshot() == before


@each_endpoint
def test_a_bad_field_name_is_a_400_for_the_body(staff, world, method, path, field, rest):
    before = snapshot()

    response = send(
        client_for(staff), method, url_of(path, world), json.dumps({"na\x00me": "x", **rest(world)})
    )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["A field name: Text must not contain NUL characters or lone surrogates."]
    }
    assert snapshot() == before


@each_endpoint
def test_ten_thousand_levels_of_nesting_are_a_400(staff, world, method, path, field, rest):
    before = snapshot()

    response = send(client_for(staff), method, url_of(path, world), "[" * 10_000 + "]" * 10_000)

    assert response.status_code == 400
    assert response.json() == {"detail": f"JSON may nest at most {settings.MAX_JSON_DEPTH} levels."}
    assert snapshot() == before


def test_the_anonymous_token_endpoint_survives_deep_nesting(anonymous_client):
    response = send(
        anonymous_client, "post", "/api/v1/auth/token/", '{"username":' + "[" * 10_000 + "]" * 10_000 + "}"
    )

    assert response.status_code == 400


ALL_WRITES = [(method, path) for method, path, *_ in ENDPOINTS] + BODILESS


def test_every_write_endpoint_of_the_api_is_checked_here():
    def shape(path: str) -> str:  # the path with its parameters unnamed
        return re.sub(r"\{[^}]+\}", "{}", path)

    schema = SchemaGenerator().get_schema(request=None, public=True)
    writes = {
        (method, shape(path.removeprefix("/api/v1/")))
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("post", "put", "patch")
    }
    assert writes == {(method, shape(path)) for method, path in ALL_WRITES}


@pytest.mark.parametrize(("method", "path"), ALL_WRITES, ids=[f"{m} {p}" for m, p in ALL_WRITES])
def test_a_body_over_the_limit_is_a_json_413(staff, world, method, path):
    before = snapshot()
    body = json.dumps({"content": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})

    response = send(client_for(staff), method, url_of(path, world), body)

    assert response.status_code == 413
    assert response.json() == {
        "detail": f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
    }
    assert snapshot() == before


class TestPathsAndQueries:
    def test_nul_in_a_lookup_is_a_404(self, staff_client):
        response = staff_client.get("/api/v1/settings/a%00b/")

        assert (response.status_code, response.json()) == (404, {"detail": "Not found."})

    @pytest.mark.parametrize("query", ["search=a%00b", "status=%00", "ordering=title%00"])
    def test_nul_in_a_query_parameter_is_a_400_naming_it(self, staff_client, query):
        response = staff_client.get(f"/api/v1/tasks/?{query}")

        name = query.split("=")[0]
        assert (response.status_code, response.json()) == (
            400,
            {name: ["Must not contain NUL characters or lone surrogates."]},
        )

    @pytest.mark.parametrize(
        ("page", "status"), [("0", 400), ("-1", 400), ("abc", 400), ("1" + "0" * 30, 400), ("2", 404)]
    )
    def test_pages_out_of_range(self, staff_client, page, status):
        response = staff_client.get("/api/v1/projects/", {"page": page})

        assert response.status_code == status
        assert list(response.json()) == (["page"] if status == 400 else ["detail"])

    def test_a_move_position_beyond_the_bound_is_a_400(self, staff_client, world):
        response = staff_client.post(
            f"/api/v1/tasks/{world['task'].pk}/move/", {"status": "todo", "position": 10**30}
        )

        assert response.status_code == 400
        assert response.json() == {"position": ["Ensure this value is less than or equal to 2147483647."]}

    def test_limit_per_column_beyond_the_bound_is_a_400(self, staff_client, world):
        response = staff_client.get(
            f"/api/v1/projects/{world['project'].pk}/board/", {"limit_per_column": 2147483648}
        )

        assert response.status_code == 400
        assert response.json() == {"limit_per_column": ["Ensure this value is less than or equal to 1000."]}


def test_an_unexpected_error_answers_the_json_shape(staff, world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("kanban.views.project_board", broken)
    client = client_for(staff)
    client.raise_request_exception = False

    response = client.get(f"/api/v1/projects/{world['project'].pk}/board/")

    assert (response.status_code, response.json()) == (500, {"detail": "Internal server error."})


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v2/", "/api/v1/projects"])
def test_unknown_api_paths_answer_a_json_404(staff_client, path):
    response = staff_client.get(path)

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]


def test_an_ai_commit_whose_scope_is_too_long_is_retried_not_a_500(staff_client, world, openai_server):
    ai_model_on(openai_server, usage_type="commit_generation")
    openai_server.reply(f"feat({'s' * 101}): add the board")
    openai_server.reply("feat(board): add the board")

    response = staff_client.post("/api/v1/commits/generate/", {"task": str(world["task"].pk), "changes": {}})

    assert job_result(response, "commit")["scope"] == "board"
    assert "The scope must be at most 100 characters." in openai_server.requests[1]["messages"][-1]["content"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unknown_api_paths_answer_a_json_404_to_writes_with_a_session_cookie(client, staff, method):
    client.force_login(staff)
    csrf_checking = client_for()
    csrf_checking.cookies = client.cookies
    csrf_checking.enforce_csrf_checks = True

    response = getattr(csrf_checking, method)("/api/v1/ai-models/.exe/")

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


@pytest.mark.parametrize("body", ["false", "null", "[]", '"text"', "1"])
@each_endpoint
def test_a_body_that_is_not_an_object_is_a_400(staff, world, method, path, field, rest, body):
    before = snapshot()

    response = send(client_for(staff), method, url_of(path, world), body)

    assert response.status_code == 400, response.content
    assert snapshot() == before
