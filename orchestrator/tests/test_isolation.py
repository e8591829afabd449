"""The outsider matrix: another user's objects answer 404 on every verb and never appear in lists."""

import pytest

from chat.models import ChatJob
from chat.tests.factories import ToolCallFactory
from jobs.models import Job
from kanban.tests.factories import CommitFactory
from projects.tests.factories import InterviewFactory, ProjectFactory, PromptFactory
from webhooks.models import WebhookSubscription


@pytest.fixture
def owned(owner):
    """One object of each project-scoped kind, all owned by `owner`."""
    project = ProjectFactory(owner=owner)
    call = ToolCallFactory(message__session__task__project=project)
    session = call.message.session
    return {
        "projects": project,
        "interviews": InterviewFactory(project=project),
        "prompts": PromptFactory(project=project),
        "tasks": session.task,
        "commits": CommitFactory(task=session.task),
        "chat-sessions": session,
        "jobs": Job.objects.create(owner=owner, project=project, kind=ChatJob.CHAT_MESSAGE),
        "webhooks": WebhookSubscription.objects.create(
            project=project, url="https://example.com/hooks", event_types=["*"], secret="whsec_c2VjcmV0"
        ),
    }


RESOURCES = ["projects", "interviews", "prompts", "tasks", "commits", "chat-sessions", "webhooks"]
WRITES = {
    "projects": {"name": "mine now"},
    "interviews": {"status": "cancelled"},
    "prompts": {"content": "mine now"},
    "tasks": {"title": "mine now"},
    "commits": {"message": "fix: mine now", "type": "fix"},
    "chat-sessions": {"status": "failed"},
    "webhooks": {"url": "https://example.org/mine-now", "event_types": ["*"]},
}


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("verb", ["get", "put", "patch", "delete"])
def test_another_users_object_is_not_found(outsider_client, owned, resource, verb):
    obj = owned[resource]
    before = type(obj).objects.filter(pk=obj.pk).values().get()

    response = getattr(outsider_client, verb)(f"/api/v1/{resource}/{obj.pk}/", WRITES[resource])

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]
    assert type(obj).objects.filter(pk=obj.pk).values().get() == before


def test_another_users_job_is_not_found(outsider_client, owned):
    response = outsider_client.get(f"/api/v1/jobs/{owned['jobs'].pk}/")

    assert (response.status_code, list(response.json())) == (404, ["detail"])


@pytest.mark.parametrize("resource", [*RESOURCES, "jobs"])
def test_another_users_objects_are_absent_from_lists(outsider_client, owned, resource):
    response = outsider_client.get(f"/api/v1/{resource}/")

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("nested", ["messages", "tool-calls"])
def test_nested_lists_of_another_users_session_are_not_found(outsider_client, owned, nested):
    response = outsider_client.get(f"/api/v1/chat-sessions/{owned['chat-sessions'].pk}/{nested}/")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("resource", "field", "payload"),
    [
        ("interviews", "project", {}),
        ("prompts", "project", {"content": "x"}),
        ("tasks", "project", {"title": "x"}),
        ("commits", "task", {"type": "fix", "message": "fix: x"}),
        ("chat-sessions", "task", {}),
    ],
)
def test_creating_under_another_users_object_is_refused(outsider_client, owned, resource, field, payload):
    target = owned["projects"] if field == "project" else owned["tasks"]
    counts_before = {name: type(obj).objects.count() for name, obj in owned.items()}

    response = outsider_client.post(f"/api/v1/{resource}/", {field: str(target.pk), **payload})

    assert response.status_code == 400
    assert response.json() == {field: [f'Invalid pk "{target.pk}" - object does not exist.']}
    assert {name: type(obj).objects.count() for name, obj in owned.items()} == counts_before


def test_a_reference_to_another_users_prompt_is_refused(outsider_client, outsider, owned):
    own_project = ProjectFactory(owner=outsider)

    response = outsider_client.post(
        "/api/v1/tasks/",
        {"project": str(own_project.pk), "title": "x", "prompt": str(owned["prompts"].pk)},
    )

    assert response.status_code == 400
    assert list(response.json()) == ["prompt"]


DETAIL_ACTIONS = [
    ("post", "chat-sessions", "complete/", {}),
    ("post", "chat-sessions", "messages/", {"content": "hi"}),
    ("get", "chat-sessions", "messages/", None),
    ("get", "chat-sessions", "tool-calls/", None),
    ("post", "interviews", "messages/", {"content": "hi"}),
    ("post", "interviews", "complete/", {}),
    ("post", "interviews", "cancel/", {}),
    ("post", "tasks", "move/", {"status": "done"}),
    ("post", "tasks", "expand/", {}),
    ("post", "commits", "record/", {"sha": "4b825dc642cb6eb9a060e54bf8d69288fbee4904"}),
    ("get", "projects", "board/", None),
    ("get", "projects", "next-task/", None),
    ("get", "projects", "usage/", None),
    ("get", "projects", "activity/", None),
    ("get", "tasks", "activity/", None),
    ("post", "projects", "analyze-complexity/", {}),
    ("post", "prompts", "plan/", {}),
    ("get", "prompts", "labels/", None),
    ("post", "prompts", "labels/", {"label": "production"}),
    ("delete", "prompts", "labels/production/", None),
    ("get", "prompts", "label-history/", None),
    ("get", "prompts", "versions/", None),
    ("post", "prompts", "versions/", {"content": "mine"}),
    ("post", "prompts", "restore/", {}),
    ("post", "prompts", "render/", {}),
    ("get", "prompts", "diff/", None),
    ("post", "jobs", "cancel/", {}),
    ("get", "jobs", "events/", None),
    ("get", "webhooks", "deliveries/", None),
]


@pytest.mark.parametrize(("verb", "resource", "action", "body"), DETAIL_ACTIONS)
def test_every_action_on_another_users_object_is_not_found(
    outsider_client, owned, verb, resource, action, body
):
    obj = owned[resource]
    before = type(obj).objects.filter(pk=obj.pk).values().get()

    response = getattr(outsider_client, verb)(f"/api/v1/{resource}/{obj.pk}/{action}", body)

    assert (response.status_code, list(response.json())) == (404, ["detail"])
    assert type(obj).objects.filter(pk=obj.pk).values().get() == before


def test_resolving_another_users_lineage_is_not_found(outsider_client, owned):
    prompt = owned["prompts"]

    response = outsider_client.get("/api/v1/prompts/resolve/", {"lineage": str(prompt.lineage)})

    assert (response.status_code, list(response.json())) == (404, ["detail"])


def test_a_dependency_or_parent_of_another_user_is_refused(outsider_client, outsider, owned):
    own_task = ProjectFactory(owner=outsider).tasks.create(title="mine", column=0, order=1)
    theirs = str(owned["tasks"].pk)

    as_dependency = outsider_client.patch(f"/api/v1/tasks/{own_task.pk}/", {"dependencies": [theirs]})
    as_parent = outsider_client.patch(f"/api/v1/tasks/{own_task.pk}/", {"parent": theirs})

    assert (as_dependency.status_code, list(as_dependency.json())) == (400, ["dependencies"])
    assert (as_parent.status_code, list(as_parent.json())) == (400, ["parent"])
    assert not own_task.dependencies.exists()
