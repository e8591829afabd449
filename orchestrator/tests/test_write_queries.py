"""What each write costs the database, pinned: the same with no webhook subscription and with
ten (a transaction's events go to one outbox row, matched to subscriptions after it commits),
and no row or setting read twice. Jobs and deliveries wait for workers here (a broker), so
the counts are the request's own."""

import pytest

from jobs.tests.conftest import use_broker
from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory, PromptFactory
from webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(owner, settings):
    use_broker(settings, "memory://")
    return ProjectFactory(owner=owner)


@pytest.fixture(params=[0, 10], ids=["no subscriptions", "10 subscriptions"])
def subscriptions(request, project):
    WebhookSubscription.objects.bulk_create(
        WebhookSubscription(project=project, url=f"http://127.0.0.1/{n}", event_types=["*"], secret="s")
        for n in range(request.param)
    )


@pytest.mark.usefixtures("subscriptions")
class TestWriteQueries:
    def test_create(self, owner_client, project, django_assert_num_queries):
        # the project (the serializer's reference), savepoint, the board lock, the WIP limits
        # setting, the column's last key, savepoint, the task, its activity record, the outbox,
        # release x2, the task's dependencies (for `dependencies` and `blocked`), its claim, its
        # live approvals (its project is the one read first)
        with django_assert_num_queries(14):
            response = owner_client.post("/api/v1/tasks/", {"project": str(project.pk), "title": "Cart"})
        assert response.status_code == 201

    def test_patch(self, owner_client, project, django_assert_num_queries):
        task = TaskFactory(project=project)
        # the task, savepoint, the board lock (the project, whose approval policy is read no
        # more), the task locked (its values are the history's "before"), savepoint, the update,
        # its activity record, the outbox, release x2, the task's dependencies, its claim, its
        # live approvals
        with django_assert_num_queries(13):
            response = owner_client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "Basket"})
        assert response.status_code == 200

    def test_move(self, owner_client, project, django_assert_num_queries):
        task = TaskFactory(project=project)
        # the task, savepoint, the board lock (the project: its approval policy, for the
        # checkpoints of the column it enters), the task locked, its activity record, the
        # outbox, the WIP limits setting, the target column's keys, the update, release, the
        # task's dependencies, its claim, its live approvals
        with django_assert_num_queries(13):
            response = owner_client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "todo", "position": 0})
        assert response.status_code == 200

    def test_brief_tick(self, owner_client, project, django_assert_num_queries):
        task = TaskFactory(
            project=project, brief={"acceptance_criteria": [{"text": "Reloads", "done": False}]}
        )
        ticked = {"acceptance_criteria": [{"text": "Reloads", "done": True}]}
        # the task, savepoint, the board lock, the task locked, the live approvals the change
        # voids (of the result: none), savepoint, the update, its activity record, the outbox,
        # release x2, the task's dependencies, its claim, its live approvals
        with django_assert_num_queries(14):
            response = owner_client.patch(f"/api/v1/tasks/{task.pk}/", {"brief": ticked}, format="json")
        assert response.status_code == 200

    def test_dependency_add(self, owner_client, project, django_assert_num_queries):
        task, awaited = TaskFactory(project=project), TaskFactory(project=project)
        # the task, the dependency (the serializer's reference), savepoint, the board lock, the
        # task locked, the project's dependency graph (the cycle check), the task's current
        # dependencies, its activity record, the outbox, the removals, what is left, the new
        # dependency, release, the task's dependencies, its claim, its live approvals
        with django_assert_num_queries(16):
            response = owner_client.patch(
                f"/api/v1/tasks/{task.pk}/", {"dependencies": [str(awaited.pk)]}, format="json"
            )
        assert response.status_code == 200 and response.json()["blocked"] is True

    def test_prompt_version(self, owner_client, project, django_assert_num_queries):
        prompt = PromptFactory(project=project)
        # the prompt, its labels, its project, savepoint, the lineage locked, its highest version,
        # savepoint, the new version, its activity record, the outbox, release x2, its labels
        with django_assert_num_queries(13):
            response = owner_client.post(f"/api/v1/prompts/{prompt.pk}/versions/", {"content": "v2"})
        assert response.status_code == 201
