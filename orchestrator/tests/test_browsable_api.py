"""The browsable API renders, forms included, for a signed-in user."""

import pytest

from chat.tests.factories import ToolCallFactory
from kanban.tests.factories import CommitFactory
from projects.tests.factories import InterviewFactory, PromptFactory


@pytest.fixture
def urls(owner):
    call = ToolCallFactory(message__session__task__project__owner=owner)
    session = call.message.session
    project = session.task.project
    interview = InterviewFactory(project=project)
    prompt = PromptFactory(project=project)
    commit = CommitFactory(task=session.task)
    return [
        "/api/v1/",
        f"/api/v1/projects/{project.pk}/",
        f"/api/v1/projects/{project.pk}/board/",
        f"/api/v1/interviews/{interview.pk}/",
        f"/api/v1/prompts/{prompt.pk}/",
        f"/api/v1/prompts/{prompt.pk}/versions/",
        f"/api/v1/tasks/{session.task.pk}/",
        f"/api/v1/commits/{commit.pk}/",
        f"/api/v1/chat-sessions/{session.pk}/",
        f"/api/v1/chat-sessions/{session.pk}/messages/",
        f"/api/v1/chat-sessions/{session.pk}/tool-calls/",
        *(f"/api/v1/{name}/" for name in ("projects", "interviews", "prompts", "tasks", "commits")),
        *(f"/api/v1/{name}/" for name in ("chat-sessions", "ai-models", "settings")),
    ]


@pytest.mark.django_db
def test_every_page_renders_as_html(client, owner, urls):
    client.force_login(owner)

    for url in urls:
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html"), url


@pytest.mark.django_db
def test_a_filter_form_shows_its_own_request_s_values_only(client, owner):
    """Filter sets share their form fields between requests (core.filters.CopiedOnce):
    one request's values never show in another's form."""
    client.force_login(owner)
    selected = '<option value="review" selected>'

    filtered = client.get("/api/v1/tasks/", {"status": "review"}, HTTP_ACCEPT="text/html")
    plain = client.get("/api/v1/tasks/", HTTP_ACCEPT="text/html")

    assert selected in filtered.content.decode()
    assert selected not in plain.content.decode()
    assert '<option value="review">' in plain.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "fields", "not_fields"),
    [
        ("tasks/{task}/move/", ["status", "position"], ["title", "project"]),
        ("prompts/{prompt}/render/", ["variables"], ["content", "components"]),
        ("interviews/{interview}/messages/", ["content", "ai_model"], ["conversation_data"]),
        ("tasks/{task}/expand/", ["count", "ai_model"], ["title"]),
        ("chat-sessions/{session}/messages/", ["content", "ai_model"], ["allow_destructive"]),
        ("interviews/{interview}/complete/", [], ["project", "status"]),
    ],
)
def test_a_custom_action_shows_its_own_form(client, owner, urls, path, fields, not_fields):
    """The browsable API's form for an action is the action's body, not the resource's."""
    from chat.models import ChatSession
    from kanban.models import Task
    from projects.models import Interview, Prompt

    client.force_login(owner)
    names = {
        "task": Task.objects.get().pk,
        "prompt": Prompt.objects.get().pk,
        "interview": Interview.objects.get().pk,
        "session": ChatSession.objects.get().pk,
    }
    page = client.get(f"/api/v1/{path.format(**names)}", HTTP_ACCEPT="text/html").content.decode()
    form = page[page.index('<form action="') : page.index("</form>", page.index('<form action="'))]

    for name in fields:
        assert f'name="{name}"' in form, name
    for name in not_fields:
        assert f'name="{name}"' not in form, name


def test_the_root_is_a_landing_page_linking_admin_the_api_and_the_docs(client):
    response = client.get("/")

    page = response.content.decode()
    assert response.status_code == 200
    for link in ('href="/admin/"', 'href="/api/v1/"', 'href="/api/docs/"', 'href="/api/redoc/"'):
        assert link in page
