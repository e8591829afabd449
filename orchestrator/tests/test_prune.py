"""Retention: what is past its time goes, in batches, and nothing else; a dry run counts."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from activity.models import Activity
from jobs.models import Job, JobEvent, ModelCall
from kanban.models import BoardJob
from kanban.tests.factories import TaskFactory
from orchestrator import retention
from projects.tests.factories import ProjectFactory
from webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


def aged(model, days, **filters):
    model.objects.filter(**filters).update(created_at=timezone.now() - timedelta(days=days))


def prune(*args: str) -> list[str]:
    """What `manage.py prune` with `args` reports, a line a kind."""
    out = io.StringIO()
    call_command("prune", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def history(owner):
    project = ProjectFactory(owner=owner)
    TaskFactory.create_batch(3, project=project)  # three activity records (and the project's)
    finished = Job.objects.create(
        owner=owner, kind=BoardJob.COMMIT_GENERATE, status="succeeded", project=project
    )
    running = Job.objects.create(
        owner=owner, kind=BoardJob.COMMIT_GENERATE, status="running", project=project
    )
    for job in (finished, running):
        JobEvent.objects.bulk_create(JobEvent(job=job, type="token", data={"text": "x"}) for _ in range(5))
        ModelCall.objects.create(job=job, project=project, raw_usage={"prompt_tokens": 3})
    subscription = WebhookSubscription.objects.create(project=project, url="http://127.0.0.1/", secret="s")
    for status in ("succeeded", "failed", "pending"):
        WebhookDelivery.objects.create(
            subscription=subscription, event_type="task.created", payload={}, status=status
        )
    for model in (JobEvent, ModelCall, WebhookDelivery, Activity):
        aged(model, 400)
    return finished, running


def test_prune_removes_what_is_past_its_time_and_keeps_the_rest(history, settings, monkeypatch):
    finished, running = history
    settings.RETAIN_ACTIVITY_DAYS = 365
    monkeypatch.setattr(retention, "BATCH", 2)  # several batches

    report = prune("--no-progress")

    assert report == [
        "job events: 5 pruned.",
        "model-call payloads: 1 pruned.",
        "webhook deliveries: 2 pruned.",
        "activity records: 4 pruned.",
    ]
    assert set(JobEvent.objects.values_list("job", flat=True)) == {running.pk}
    assert dict(ModelCall.objects.values_list("job", "raw_usage")) == {
        finished.pk: {},
        running.pk: {"prompt_tokens": 3},
    }
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["pending"]
    assert not Activity.objects.exists()


def test_a_progress_bar_per_kind_counts_its_rows(history, settings):
    settings.RETAIN_ACTIVITY_DAYS = 365
    err = io.StringIO()

    call_command("prune", stdout=io.StringIO(), stderr=err)

    bars = err.getvalue()
    for kind, rows in (("job events", 5), ("webhook deliveries", 2), ("activity records", 4)):
        assert f"{kind}: 100%" in bars and f"{rows}/{rows}" in bars, bars


def test_a_dry_run_counts_and_changes_nothing(history):
    report = prune("--dry-run")

    assert report == [
        "job events: 5 would be pruned.",
        "model-call payloads: 1 would be pruned.",
        "webhook deliveries: 2 would be pruned.",
        "activity records: kept forever (RETAIN_ACTIVITY_DAYS is empty).",
    ]
    assert (JobEvent.objects.count(), WebhookDelivery.objects.count()) == (10, 3)


def test_recent_records_stay(history, settings):
    settings.RETAIN_JOB_EVENTS_DAYS = 500

    prune("--no-progress")

    assert JobEvent.objects.count() == 10
