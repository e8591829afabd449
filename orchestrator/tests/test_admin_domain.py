"""Admin keeps the domain's rules: every add and change page of every model, with valid and
invalid input, answers without a 500; the rules the API keeps hold in admin too."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import RequestFactory
from django.urls import reverse

from aimodels.models import AIModel, SystemSettings
from aimodels.tests.factories import AIModelFactory
from chat.models import ChatSession, Message, ToolCall
from chat.tests.factories import ToolCallFactory
from conftest import ai_model_on
from kanban.models import Commit, Task
from kanban.tests.factories import CommitFactory, TaskFactory
from projects.models import Interview, Prompt
from projects.tests.factories import InterviewFactory, PromptFactory

pytestmark = pytest.mark.django_db


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def formset_management(model) -> dict:
    """Empty management forms for every inline of `model`'s admin, as the page would send."""
    data = {}
    for inline in admin.site._registry[model].inlines:
        fk = next(f for f in inline.model._meta.fields if f.is_relation and f.related_model is model)
        prefix = fk.remote_field.get_accessor_name(model=inline.model)
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data


@pytest.fixture
def world(staff):
    call = ToolCallFactory(message__session__task__project__owner=staff)
    task = call.message.session.task
    return {
        "project": task.project,
        "task": task,
        "interview": InterviewFactory(project=task.project),
        "prompt": PromptFactory(project=task.project, content="v1"),
        "commit": CommitFactory(task=task),
        "ai_model": AIModelFactory(),
        "setting": SystemSettings.objects.create(key="custom.colour", value="blue"),
    }


def valid_add(world) -> dict:
    """A valid add form for each of our models that admin adds."""
    project, task = world["project"], world["task"]
    return {
        "projects.Project": {
            "name": "New",
            "owner": project.owner_id,
            "git_repository_info": "{}",
            "require_approval": "plan",
        },
        "projects.Interview": {"project": project.pk},
        "projects.Prompt": {"project": project.pk, "content": "Hi", "type": "t", "components": "[]"},
        "projects.PromptLabel": {"name": "production", "prompt": world["prompt"].pk},
        "kanban.Task": {"project": project.pk, "title": "New", "status": "todo", "priority": "high"},
        "kanban.Commit": {
            "task": task.pk,
            "message": "docs(readme): explain",
            "changes": "{}",
            "author": "me",
        },
        "chat.ChatSession": {"task": task.pk},
        "aimodels.AIModel": {
            "name": "n",
            "provider": "openai",
            "model": "m",
            "usage_type": "general",
            "config": "{}",
        },
        "aimodels.SystemSettings": {"key": "kanban.wip_limits", "value": '{"review": 3}'},
    }


OURS = [
    model
    for model in admin.site._registry
    if model._meta.app_label in {"aimodels", "projects", "kanban", "chat"}
]


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda model: model._meta.label)
def test_every_add_and_change_page_takes_invalid_input_without_a_500(client, staff, world, model):
    client.force_login(staff)
    model_admin = admin.site._registry[model]
    garbage = {field.name: "\u2603" * 300 for field in model._meta.concrete_fields} | formset_management(
        model
    )
    obj = model.objects.first()

    pages = [admin_url(model, "add")]
    if obj is not None:
        pages.append(admin_url(model, "change", obj.pk))
    for url in pages:
        assert client.get(url).status_code in (200, 403), url
        response = client.post(url, garbage)
        assert response.status_code in (200, 302, 403), (url, response.status_code)
        if response.status_code == 302 and url.endswith("/add/"):
            pytest.fail(f"{model._meta.label} accepted garbage: {model_admin}")


@pytest.mark.parametrize("model", OURS, ids=lambda model: model._meta.label)
def test_every_add_page_of_ours_stores_valid_input(client, staff, world, model):
    data = valid_add(world).get(model._meta.label)
    if data is None:
        assert not admin.site._registry[model].has_add_permission(_request(staff))
        return
    client.force_login(staff)
    count = model.objects.count()

    response = client.post(admin_url(model, "add"), data | formset_management(model))

    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else response
    )
    assert model.objects.count() == count + 1


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


class TestPrompts:
    def test_add_with_a_parent_makes_the_next_version_of_its_lineage(self, client, staff, world):
        client.force_login(staff)
        first = world["prompt"]
        data = {
            "project": first.project_id,
            "parent": first.pk,
            "content": "v2",
            "components": "[]",
            "version": "9",
        }

        client.post(admin_url(Prompt, "add"), data)

        second = Prompt.objects.get(content="v2")
        assert (second.lineage, second.version) == (first.lineage, 2)

    def test_an_older_version_shows_its_content_read_only(self, client, staff, world):
        client.force_login(staff)
        first = world["prompt"]
        PromptFactory(project=first.project, parent=first, content="v2", version=2, lineage=first.lineage)

        page = client.get(admin_url(Prompt, "change", first.pk)).content.decode()
        client.post(
            admin_url(Prompt, "change", first.pk), {"content": "rewritten", "type": "x", "components": "[]"}
        )

        assert 'name="content"' not in page
        first.refresh_from_db()
        assert (first.content, first.type) == ("v1", "x")


class TestCommits:
    def test_type_scope_and_breaking_follow_the_message(self, client, staff, world):
        client.force_login(staff)
        data = {"task": world["task"].pk, "message": "fix(api)!: refuse NUL", "changes": "{}", "author": "me"}
        data |= {"type": "docs", "scope": "other", "breaking": ""}

        client.post(admin_url(Commit, "add"), data)

        commit = Commit.objects.get(message="fix(api)!: refuse NUL")
        assert (commit.type, commit.scope, commit.breaking, commit.project_id) == (
            "fix", "api", True, world["task"].project_id,
        )  # fmt: skip

    def test_an_invalid_message_is_a_form_error(self, client, staff, world):
        client.force_login(staff)
        data = {"task": world["task"].pk, "message": "updated stuff", "changes": "{}", "author": "me"}

        response = client.post(admin_url(Commit, "add"), data)

        assert response.status_code == 200
        assert "The first line must be" in response.content.decode()
        assert not Commit.objects.filter(message="updated stuff").exists()


class TestInterviews:
    def test_the_transcript_is_shown_as_a_conversation_and_cannot_be_edited(self, client, staff, world):
        interview = world["interview"]
        Interview.objects.filter(pk=interview.pk).update(
            conversation_data=[
                {"role": "user", "content": "<b>We need a shop</b>", "created_at": "2026-11-22"}
            ]
        )
        client.force_login(staff)

        page = client.get(admin_url(Interview, "change", interview.pk)).content.decode()

        assert "&lt;b&gt;We need a shop&lt;/b&gt;" in page
        assert 'name="conversation_data"' not in page and 'name="status"' not in page

    def test_complete_and_cancel_actions_go_through_the_service(self, client, staff, world):
        active, done = world["interview"], InterviewFactory(project=world["project"], status="completed")
        client.force_login(staff)

        client.post(
            admin_url(Interview, "changelist"),
            {"action": "cancel", ACTION_CHECKBOX_NAME: [active.pk, done.pk]},
        )

        assert dict(Interview.objects.values_list("pk", "status")) == {
            active.pk: "cancelled",
            done.pk: "completed",
        }


class TestAuditTrail:
    @pytest.mark.parametrize("model", [Message, ToolCall])
    def test_no_add_change_or_delete(self, client, staff, world, model):
        client.force_login(staff)
        obj = model.objects.first()

        assert client.get(admin_url(model, "add")).status_code == 403
        assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
        assert client.get(admin_url(model, "change", obj.pk)).status_code == 200  # view only
        assert model.objects.filter(pk=obj.pk).exists()

    def test_a_chat_sessions_status_changes_by_its_action_only(self, client, staff, world):
        session = ChatSession.objects.get()
        client.force_login(staff)

        page = client.get(admin_url(ChatSession, "change", session.pk)).content.decode()
        client.post(
            admin_url(ChatSession, "changelist"), {"action": "complete", ACTION_CHECKBOX_NAME: [session.pk]}
        )

        assert 'name="status"' not in page
        session.refresh_from_db()
        assert session.status == "completed"


class TestUsefulLists:
    def test_a_projects_page_links_to_its_work_with_counts(self, client, staff, world):
        project = world["project"]
        client.force_login(staff)

        changelist = client.get(admin_url(type(project), "changelist")).content.decode()
        page = client.get(admin_url(type(project), "change", project.pk)).content.decode()

        assert f'href="/admin/kanban/task/?project__id__exact={project.pk}">1 tasks</a>' in page
        assert f'href="/admin/projects/prompt/?project__id__exact={project.pk}">1 prompts</a>' in page
        assert '<td class="field-task_count">1</td>' in changelist

    @pytest.mark.parametrize(
        ("model", "filters"),
        [
            (Task, {"status": "todo", "project__id__exact": "x", "project__owner__id__exact": "1"}),
            (Prompt, {"project__id__exact": "x"}),
            (Interview, {"status": "active"}),
            (ChatSession, {"status": "active"}),
            (Commit, {"type": "feat"}),
        ],
    )
    def test_filters_and_search_answer(self, client, staff, world, model, filters):
        client.force_login(staff)

        response = client.get(admin_url(model, "changelist"), {"q": "a"})
        filtered = client.get(
            admin_url(model, "changelist"), {key: value for key, value in filters.items() if value != "x"}
        )

        assert response.status_code == filtered.status_code == 200

    def test_move_action_moves_to_the_end_of_the_column_and_stops_at_a_wip_limit(self, client, staff, world):
        SystemSettings.objects.create(key="kanban.wip_limits", value={"review": 2})
        tasks = [world["task"], *(TaskFactory(project=world["project"]) for _ in range(2))]
        client.force_login(staff)

        response = client.post(
            admin_url(Task, "changelist"),
            {"action": "move_to_review", ACTION_CHECKBOX_NAME: [task.pk for task in tasks]},
            follow=True,
        )

        assert Task.objects.filter(status="review").count() == 2
        assert "Column &#x27;review&#x27; is at its WIP limit of 2" in response.content.decode()

    def test_test_action_reports_each_model(self, client, staff, openai_server):
        model = ai_model_on(openai_server, name="gpt")
        openai_server.reply("ok")
        client.force_login(staff)

        response = client.post(
            admin_url(AIModel, "changelist"),
            {"action": "test", ACTION_CHECKBOX_NAME: [model.pk]},
            follow=True,
        )

        assert "AI model &#x27;gpt&#x27; answered in" in response.content.decode()

    def test_labels_read_api_key_and_base_url(self, client, staff, world):
        client.force_login(staff)

        page = client.get(admin_url(AIModel, "add")).content.decode()

        assert ">API key:</label>" in page and ">Base URL:</label>" in page


class TestSettings:
    def test_known_keys_are_listed_with_default_and_description(self, client, staff):
        client.force_login(staff)

        page = client.get(admin_url(SystemSettings, "add")).content.decode()

        assert "<code>kanban.wip_limits</code> (default <code>{}</code>)" in page
        assert "<code>ai.max_tool_iterations</code> (default <code>8</code>)" in page

    def test_an_unknown_key_is_refused(self, client, staff):
        client.force_login(staff)

        response = client.post(admin_url(SystemSettings, "add"), {"key": "kanban.wip_limit", "value": "{}"})

        assert response.status_code == 200
        assert "Unknown setting" in response.content.decode()
        assert not SystemSettings.objects.filter(key="kanban.wip_limit").exists()
