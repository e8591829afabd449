"""Claims: one holder at a time works on a task, the lease ends by itself, `next` skips
others' tasks, and the owner can break a stuck agent's claim."""

from datetime import timedelta

import pytest
from django.utils import timezone

from activity.models import Activity
from core.testing import postgres_only, run_in_threads
from kanban import services
from kanban.models import Task, TaskClaim
from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(owner):
    return TaskFactory(project=ProjectFactory(owner=owner), title="Pay by card")


def claim_url(task, action="claim"):
    return f"/api/v1/tasks/{task.pk}/{action}/"


def expire(task):
    TaskClaim.objects.filter(task=task).update(expires_at=timezone.now() - timedelta(seconds=1))


class TestClaimingOverTheAPI:
    def test_a_claim_is_shown_on_the_task_and_recorded(self, owner_client, task):
        response = owner_client.post(claim_url(task), {"holder": "claude-code@laptop"}, format="json")

        assert response.status_code == 200
        claim = response.json()["claim"]
        assert claim["holder"] == "claude-code@laptop"
        lasts = timezone.datetime.fromisoformat(claim["expires_at"]) - timezone.now()
        assert timedelta(minutes=29) < lasts <= timedelta(minutes=30)
        assert owner_client.get(f"/api/v1/tasks/{task.pk}/").json()["claim"]["holder"] == "claude-code@laptop"
        listed = owner_client.get("/api/v1/tasks/").json()["results"]
        assert [row["claim"]["holder"] for row in listed] == ["claude-code@laptop"]
        (recorded,) = Activity.objects.filter(verb="claimed")
        assert recorded.changes["claim"] == {"from": None, "to": "claude-code@laptop"}

    def test_another_holder_is_refused_with_who_and_until_when(self, owner_client, task):
        owner_client.post(claim_url(task), {"holder": "claude-code@laptop"}, format="json")

        response = owner_client.post(claim_url(task), {"holder": "cursor@desktop"}, format="json")

        assert response.status_code == 409
        assert response.json()["holder"] == "claude-code@laptop"
        assert "Claimed by claude-code@laptop until" in response.json()["detail"]
        assert TaskClaim.objects.get(task=task).holder == "claude-code@laptop"

    def test_the_holder_renews_its_own_claim_without_a_second_record(self, owner_client, task):
        owner_client.post(claim_url(task), {"holder": "a@x", "ttl_seconds": 60}, format="json")
        first = TaskClaim.objects.get(task=task)

        response = owner_client.post(claim_url(task), {"holder": "a@x", "ttl_seconds": 3600}, format="json")

        assert response.status_code == 200
        renewed = TaskClaim.objects.get(task=task)
        assert renewed.claimed_at == first.claimed_at
        assert renewed.expires_at > first.expires_at + timedelta(minutes=58)
        assert Activity.objects.filter(verb="claimed").count() == 1

    def test_an_expired_claim_is_nobodys(self, owner_client, task):
        owner_client.post(claim_url(task), {"holder": "a@x"}, format="json")
        expire(task)

        assert owner_client.get(f"/api/v1/tasks/{task.pk}/").json()["claim"] is None
        response = owner_client.post(claim_url(task), {"holder": "b@y"}, format="json")
        assert response.status_code == 200
        assert response.json()["claim"]["holder"] == "b@y"

    def test_release_by_its_holder(self, owner_client, task):
        owner_client.post(claim_url(task), {"holder": "a@x"}, format="json")

        response = owner_client.post(claim_url(task, "release"), {"holder": "a@x"}, format="json")

        assert response.status_code == 200
        assert response.json()["claim"] is None
        assert not TaskClaim.objects.exists()
        assert Activity.objects.filter(verb="released").count() == 1

    def test_another_holder_cannot_release_but_the_owner_can_break(self, owner_client, task):
        owner_client.post(claim_url(task), {"holder": "stuck@ci"}, format="json")

        refused = owner_client.post(claim_url(task, "release"), {"holder": "a@x"}, format="json")
        broken = owner_client.post(
            claim_url(task, "release"), {"holder": "owner@browser", "breaking": True}, format="json"
        )

        assert refused.status_code == 409
        assert refused.json()["holder"] == "stuck@ci"
        assert broken.status_code == 200
        assert broken.json()["claim"] is None
        (record,) = Activity.objects.filter(verb="claim_broken")
        assert record.changes["claim"] == {"from": "stuck@ci", "to": None}

    def test_a_done_task_cannot_be_claimed(self, owner_client, task):
        Task.objects.filter(pk=task.pk).update(status=Task.Status.DONE)

        response = owner_client.post(claim_url(task), {"holder": "a@x"}, format="json")

        assert response.status_code == 409
        assert "done" in response.json()["detail"]
        assert not TaskClaim.objects.exists()

    @pytest.mark.parametrize(
        "body, field",
        [({}, "holder"), ({"holder": ""}, "holder"), ({"holder": "a", "ttl_seconds": 5}, "ttl_seconds")],
    )
    def test_bad_input_names_the_field_and_changes_nothing(self, owner_client, task, body, field):
        response = owner_client.post(claim_url(task), body, format="json")

        assert response.status_code == 400
        assert field in response.json()
        assert not TaskClaim.objects.exists()

    def test_another_users_task_is_not_found(self, outsider_client, task):
        for action in ("claim", "release"):
            response = outsider_client.post(claim_url(task, action), {"holder": "a@x"}, format="json")
            assert response.status_code == 404
        assert not TaskClaim.objects.exists()


class TestNextSkipsOthersClaims:
    def test_next_passes_over_a_task_someone_else_holds(self, owner, task):
        later = TaskFactory(project=task.project, title="Refund")
        services.task_claim(task=task, holder="a@x")

        assert services.next_task(project=task.project, holder="b@y")[0] == later
        assert services.next_task(project=task.project, holder="a@x")[0] == task

    def test_the_api_skips_claimed_tasks_but_the_holders_own(self, owner_client, task):
        later = TaskFactory(project=task.project, title="Refund")
        services.task_claim(task=task, holder="a@x")
        url = f"/api/v1/projects/{task.project_id}/next-task/"

        assert owner_client.get(url).json()["task"]["id"] == str(later.pk)
        assert owner_client.get(url, {"holder": "a@x"}).json()["task"]["id"] == str(task.pk)
        assert owner_client.get(url, {"holder": "x" * 101}).status_code == 400

    def test_an_expired_claim_no_longer_hides_the_task(self, task):
        services.task_claim(task=task, holder="a@x")
        expire(task)

        assert services.next_task(project=task.project, holder="b@y")[0] == task

    def test_work_renews_the_holders_claim_only(self, task):
        services.task_claim(task=task, holder="a@x", ttl=timedelta(minutes=1))
        before = TaskClaim.objects.get(task=task).expires_at

        services.task_touch(task=task, holder="b@y")
        assert TaskClaim.objects.get(task=task).expires_at == before
        services.task_touch(task=task, holder="a@x")
        assert TaskClaim.objects.get(task=task).expires_at > before + timedelta(minutes=28)


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_of_twenty_agents_claiming_one_task_at_once_exactly_one_wins():
    task = TaskFactory(project=ProjectFactory())

    outcomes = run_in_threads(
        [lambda n=n: services.task_claim(task=task, holder=f"agent-{n}@ci") for n in range(20)]
    )

    winners = [outcome for outcome in outcomes if isinstance(outcome, TaskClaim)]
    assert len(winners) == 1
    assert all(isinstance(outcome, services.Claimed) for outcome in outcomes if outcome not in winners)
    assert TaskClaim.objects.get(task=task).holder == winners[0].holder
    assert Activity.objects.filter(verb="claimed").count() == 1
