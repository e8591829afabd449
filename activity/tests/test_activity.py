"""The activity history: every change recorded with its actor and channel, in the change's
transaction, append-only, listed newest first by cursor in constant queries."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from activity.models import Activity
from aimodels.models import AIModel
from chat.models import ToolCall
from chat.tests.factories import ChatSessionFactory
from conftest import ai_model_on, job_result
from kanban import services
from kanban.models import Task
from kanban.tests.factories import TaskFactory
from projects import services as prompt_services
from projects.tests.factories import ProjectFactory, PromptFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(owner):
    return ProjectFactory(owner=owner)


def history(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


class TestRecording:
    def test_api_writes_are_recorded_with_the_user_and_the_fields_before_and_after(
        self, owner_client, owner, project
    ):
        created = owner_client.post("/api/v1/tasks/", {"project": str(project.pk), "title": "Cart"}).json()
        owner_client.patch(f"/api/v1/tasks/{created['id']}/", {"title": "Basket", "priority": "high"})
        owner_client.post(f"/api/v1/tasks/{created['id']}/move/", {"status": "todo", "position": 0})

        rows = history(owner_client, f"/api/v1/tasks/{created['id']}/activity/")

        assert [(row["verb"], row["actor"], row["channel"]) for row in rows] == [
            ("moved", owner.username, "api"),
            ("changed", owner.username, "api"),
            ("created", owner.username, "api"),
        ]
        assert rows[0]["changes"] == {"status": {"from": "backlog", "to": "todo"}, "position": 0}
        assert rows[1]["changes"] == {
            "title": {"from": "Cart", "to": "Basket"},
            "priority": {"from": "medium", "to": "high"},
        }
        assert rows[2]["changes"]["title"] == {"from": None, "to": "Cart"}

    def test_a_refused_write_records_nothing(self, owner_client, project):
        awaited, waiting = TaskFactory(project=project), TaskFactory(project=project)
        services.dependency_add(task=waiting, depends_on=awaited)
        before = Activity.objects.count()

        refused = owner_client.post(f"/api/v1/tasks/{waiting.pk}/move/", {"status": "done"})

        assert refused.status_code == 409
        assert Activity.objects.count() == before

    def test_admin_writes_are_recorded_as_admin(self, client, staff, project):
        task = TaskFactory(project=project)
        client.force_login(staff)

        client.post(
            reverse("admin:kanban_task_change", args=[task.pk]),
            {
                "title": "From admin",
                "description": "",
                "status": task.status,
                "priority": "low",
                **{f"{name}-{n}_FORMS": 0 for name in ("subtasks", "commits") for n in ("TOTAL", "INITIAL")},
            },
        )

        last = Activity.objects.filter(object_id=str(task.pk)).first()
        assert (last.verb, last.channel, last.actor) == ("changed", "admin", staff)
        assert last.changes["title"] == {"from": task.title, "to": "From admin"}

    def test_agent_tool_calls_are_recorded_as_the_agent_with_the_call(
        self, owner_client, owner, openai_server
    ):
        session = ChatSessionFactory(task__project__owner=owner)
        ai_model_on(openai_server)
        openai_server.reply(tool_calls=[{"name": "create_task", "arguments": {"title": "By the agent"}}])
        openai_server.reply("Done.")

        job_result(
            owner_client.post(f"/api/v1/chat-sessions/{session.pk}/messages/", {"content": "go"}), "messages"
        )

        record = Activity.objects.get(object_repr="By the agent")
        call = ToolCall.objects.get()
        assert (record.channel, record.actor, record.verb) == ("agent", owner, "created")
        assert record.via == {"chat_session": str(session.pk), "call_id": call.call_id, "tool": "create_task"}

    def test_ai_jobs_are_recorded_for_who_asked_with_the_job(self, owner_client, owner, openai_server):
        task = TaskFactory(project__owner=owner)
        ai_model_on(openai_server)
        openai_server.reply("feat: add the cart")

        commit = job_result(
            owner_client.post("/api/v1/commits/generate/", {"task": str(task.pk), "changes": {}}), "commit"
        )

        record = Activity.objects.get(object_type="kanban.commit")
        assert (record.channel, record.actor, record.object_id) == ("api", owner, commit["id"])
        assert set(record.via) == {"job"}

    def test_writes_outside_a_request_are_commands_and_secrets_stay_secret(self, project):
        ai_model = AIModel.objects.create(
            name="m", provider="openai", model="x", api_key="sk-secret-123456789"
        )
        ai_model.api_key = "sk-other-987654321"
        ai_model.save()

        created, changed = Activity.objects.filter(object_type="aimodels.aimodel").order_by("id")
        assert created.channel == changed.channel == "command"
        assert changed.changes == {"api_key": {"from": "(secret)", "to": "(secret)"}}
        assert "sk-" not in str(created.changes) + str(changed.changes)

    def test_label_moves_dependencies_and_deletes_are_recorded(self, owner_client, project):
        prompt = PromptFactory(project=project)
        prompt_services.prompt_label_move(prompt=prompt, name="production")
        task, other = TaskFactory(project=project), TaskFactory(project=project)
        services.dependency_add(task=task, depends_on=other)
        owner_client.delete(f"/api/v1/tasks/{other.pk}/")

        rows = history(owner_client, f"/api/v1/projects/{project.pk}/activity/")

        verbs = [(row["object_type"], row["verb"]) for row in rows]
        assert verbs[:3] == [
            ("kanban.task", "deleted"),
            ("kanban.task", "changed"),
            ("kanban.task", "created"),
        ]
        assert rows[1]["changes"] == {"dependencies": {"from": [], "to": [str(other.pk)]}}
        assert ("projects.prompt", "label_moved") in verbs
        label = next(row for row in rows if row["verb"] == "label_moved")
        assert label["changes"] == {"label": "production", "version": {"from": None, "to": 1}}

    def test_a_project_delete_is_one_record_not_one_per_task(self, owner_client, owner):
        doomed = ProjectFactory(owner=owner)
        TaskFactory.create_batch(3, project=doomed)

        owner_client.delete(f"/api/v1/projects/{doomed.pk}/")

        (deleted,) = Activity.objects.filter(verb="deleted")
        assert (deleted.object_type, deleted.project_id) == ("projects.project", None)

    def test_the_record_is_in_the_changes_transaction(self, project):
        with pytest.raises(RuntimeError), transaction.atomic():
            TaskFactory(project=project, title="Rolled back")
            raise RuntimeError

        assert not Activity.objects.filter(object_repr="Rolled back").exists()
        assert not Task.objects.filter(title="Rolled back").exists()

    def test_records_are_append_only(self, project):
        record = Activity.objects.filter(project=project).first()

        with pytest.raises(ValueError):
            record.save()
        with pytest.raises(ValueError):
            record.delete()


class TestEndpoints:
    def test_pages_newest_first_by_cursor_in_constant_queries(
        self, owner_client, project, django_assert_num_queries
    ):
        task = TaskFactory(project=project)
        for n in range(25):
            services.task_update(task=task, title=f"T{n}")

        with django_assert_num_queries(2):  # the task, the page with its actors
            first = owner_client.get(f"/api/v1/tasks/{task.pk}/activity/", {"page_size": 10}).json()
        second = owner_client.get(first["next"]).json()

        titles = [row["changes"]["title"]["to"] for row in first["results"] + second["results"]]
        assert titles == [f"T{n}" for n in range(24, 4, -1)]

    def test_another_users_project_and_task_are_not_found(self, outsider_client, project):
        task = TaskFactory(project=project)

        assert outsider_client.get(f"/api/v1/projects/{project.pk}/activity/").status_code == 404
        assert outsider_client.get(f"/api/v1/tasks/{task.pk}/activity/").status_code == 404

    def test_admin_lists_the_history_read_only(self, client, staff, project):
        TaskFactory(project=project, title="Listed")
        client.force_login(staff)

        page = client.get(reverse("admin:activity_activity_changelist")).content.decode()

        assert "Listed" in page
        assert client.get(reverse("admin:activity_activity_add")).status_code == 403


def test_users_are_not_recorded(db):
    get_user_model().objects.create_user("someone")

    assert not Activity.objects.exists()
