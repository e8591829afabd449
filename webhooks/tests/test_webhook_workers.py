"""On workers, webhook deliveries run on their own queue: a receiver that never answers
holds up its deliveries, not the AI work (real workers on Redis and PostgreSQL)."""

import socket

import pytest
import redis
from knox.models import AuthToken

from conftest import ai_model_on
from core.testing import postgres_only
from jobs.models import Job
from jobs.tests.conftest import use_broker
from jobs.tests.test_workers import Workers, post, settled
from kanban.tests.factories import TaskFactory
from projects.tests.factories import InterviewFactory, ProjectFactory, UserFactory
from webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]

# A Redis database of its own: jobs/tests/test_workers.py may run beside this file (another
# xdist worker), and each empties its broker's database.
BROKER = "redis://127.0.0.1:6379/12"


def test_a_hanging_receiver_does_not_hold_up_ai_jobs(settings, live_server, openai_server, tmp_path):
    redis.Redis.from_url(BROKER).flushdb()
    use_broker(settings, BROKER)
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(64)
    owner = UserFactory()
    token = AuthToken.objects.create(owner)[1]
    project = ProjectFactory(owner=owner)
    WebhookSubscription.objects.create(
        project=project,
        url=f"http://127.0.0.1:{hanging.getsockname()[1]}/",
        event_types=["*"],
        secret="whsec_x",
    )
    ai_model_on(openai_server)
    openai_server.reply("Who are the users?")
    workers = Workers(["ai"], tmp_path, broker=BROKER, options=["-Q", "jobs"])
    hooks = Workers(
        ["hooks"], tmp_path, broker=BROKER, options=["-Q", "webhooks"], WEBHOOK_TIMEOUT_SECONDS="20"
    )
    try:
        for n in range(20):
            TaskFactory(project=project, title=f"Task {n}")
        hooks._wait_for(
            lambda: WebhookDelivery.objects.filter(attempts=1).exists(), "a delivery to hang on the receiver"
        )
        interview = InterviewFactory(project=project)
        job = post(
            f"{live_server.url}/api/v1/interviews/{interview.pk}/messages/", token, {"content": "A shop"}
        )
        (finished,) = settled([job["id"]], workers, timeout=30)
    finally:
        workers.stop()
        hooks.stop()
        hanging.close()

    started = Job.objects.get(pk=job["id"]).started_at
    assert finished.status == "succeeded"
    assert (started - finished.created_at).total_seconds() < 2
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 0
