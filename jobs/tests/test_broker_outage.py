"""The job row is the outbox: with the broker down an AI action still answers 202, and once
the broker is back every job runs, exactly once (a real Redis the test starts and stops, a
real worker with its beat)."""

import socket
import subprocess
import time

import pytest
from knox.models import AuthToken

from conftest import ai_model_on
from core.testing import postgres_only
from jobs.models import Job
from jobs.services import dispatch_queued
from jobs.tests.conftest import use_broker
from jobs.tests.test_workers import Workers, post, settled
from projects.models import Interview, InterviewJob
from projects.tests.factories import InterviewFactory, UserFactory

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]


class RedisServer:
    """A redis-server of the test's own, on a free port, that keeps nothing on disk."""

    def __init__(self, tmp_path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.dir = tmp_path
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait()


@pytest.fixture
def redis_server(tmp_path, settings):
    """Broker and cache (the throttles' counts) on one Redis, as the README runs them."""
    server = RedisServer(tmp_path)
    use_broker(settings, server.url)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}
    }
    yield server
    server.stop()


def test_jobs_submitted_while_the_broker_is_down_run_once_it_is_back(
    redis_server, live_server, openai_server, tmp_path
):
    ai_model_on(openai_server)
    for _ in range(4):
        openai_server.reply("Who are the users?")
    owner = UserFactory()
    token = AuthToken.objects.create(owner)[1]
    interviews = [InterviewFactory(project__owner=owner) for _ in range(3)]
    workers = Workers(
        ["w1"],
        tmp_path,
        broker=redis_server.url,
        options=["--beat", "--schedule", str(tmp_path / "beat")],
        JOBS_REDISPATCH_AFTER="1",
        JOBS_DISPATCH_INTERVAL="1",
    )
    try:
        redis_server.stop()
        answers = [
            post(
                f"{live_server.url}/api/v1/interviews/{interview.pk}/messages/", token, {"content": "A shop"}
            )
            for interview in interviews
        ]
        keyed = {"content": "A shop"}
        url = f"{live_server.url}/api/v1/interviews/{InterviewFactory(project__owner=owner).pk}/messages/"
        first = post(url, token, keyed, headers={"Idempotency-Key": "outage-1"})

        assert {answer["status"] for answer in [*answers, first]} == {"queued"}
        redis_server.start()
        again = post(url, token, keyed, headers={"Idempotency-Key": "outage-1"})
        jobs = settled([answer["id"] for answer in [*answers, first]], workers)
    finally:
        workers.stop()

    assert again["id"] == first["id"]
    assert set(jobs.values_list("status", "attempts")) == {("succeeded", 1)}, workers.log("w1")
    assert all(len(interview.conversation_data) == 2 for interview in Interview.objects.all())
    assert len(openai_server.requests) == 4


@pytest.mark.usefixtures("queued")
def test_only_the_latest_message_of_a_job_claims_it(openai_server):
    """A job sent again (its first message lost, or only slow) runs for the newest message;
    an older one arriving later finds nothing to claim."""
    from jobs.services import execute

    ai_model_on(openai_server)
    openai_server.reply("Who are the users?")
    owner = UserFactory()
    interview = InterviewFactory(project__owner=owner)
    job = Job.objects.create(owner=owner, kind=InterviewJob.INTERVIEW_MESSAGE, dispatches=1, input={})
    Job.objects.filter(pk=job.pk).update(created_at=job.created_at.replace(year=2020))

    assert dispatch_queued() == 1
    execute(job.pk, dispatch=1)  # the first message, late: not the latest any more

    job.refresh_from_db()
    assert (job.status, job.dispatches, job.attempts) == ("queued", 2, 0)
    assert interview.conversation_data == []
