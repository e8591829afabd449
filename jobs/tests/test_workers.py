"""Real worker processes (`celery -A orchestrator worker`) on Redis and PostgreSQL: jobs from
concurrent clients of a live server each succeed exactly once, and a job whose worker is
killed with SIGKILL mid-job is delivered again and finishes without repeating what it did."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis
from django.db import connection
from knox.models import AuthToken

from chat.models import ChatSession, Message, ToolCall
from chat.tests.factories import ChatSessionFactory
from conftest import ai_model_on
from core.testing import postgres_only, run_in_threads
from jobs.models import Job, JobEvent
from jobs.tests.conftest import use_broker
from kanban.models import Task
from projects.models import Interview
from projects.tests.factories import InterviewFactory, UserFactory

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]

BROKER = "redis://127.0.0.1:6379/11"
# A message a lost worker held goes to another worker after this many seconds.
VISIBILITY_TIMEOUT = 6


@pytest.fixture
def broker(settings):
    queue = redis.Redis.from_url(BROKER)
    queue.flushdb()
    use_broker(settings, BROKER)
    yield
    queue.flushdb()


class Workers:
    """Worker processes, each in its own process group (so SIGKILL takes its pool too)."""

    def __init__(self, names, logs: Path, *, broker: str = BROKER, options=(), **env):
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CELERY_BROKER_URL": broker,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CELERY_RESTORE_INTERVAL": "1",
            "OUTBOUND_ALLOW_LOOPBACK": "true",
            **env,
        }
        celery = Path(sys.executable).parent / "celery"
        self.logs = {name: logs / f"{name}.log" for name in names}
        self.processes = {
            name: subprocess.Popen(
                [celery, "-A", "orchestrator", "worker", "--concurrency", "1", "-n", f"{name}@%h"]
                + ["--without-gossip", "--without-mingle", "--loglevel", "info", *options],
                env=env,
                stdout=self.logs[name].open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for name in names
        }
        self._wait_for(lambda: all(" ready." in self.log(name) for name in names), "the workers to start")

    def log(self, name) -> str:
        return self.logs[name].read_text()

    def kill(self, name) -> None:
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def _wait_for(self, condition, what, timeout=60):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {name}\n{self.log(name)[-3000:]}" for name in self.logs)
                pytest.fail(f"Timed out waiting for {what}.\n{logs}")
            time.sleep(0.2)


@pytest.fixture
def workers(broker, tmp_path):
    # AI jobs only: the webhook queue (every write's dispatch) is another test's matter, and on
    # a loaded two-core machine it would only slow these down.
    started = Workers(["w1", "w2"], tmp_path, options=["-Q", "jobs"])
    yield started
    started.stop()


def post(url, token, data, headers=None) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(data).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 202)
        return json.loads(response.read())


def settled(job_ids, workers, timeout=90):
    workers._wait_for(
        lambda: not Job.objects.filter(pk__in=job_ids, status__in=Job.UNFINISHED).exists(),
        "the jobs to finish",
        timeout,
    )
    return Job.objects.filter(pk__in=job_ids)


def test_forty_jobs_from_concurrent_clients_each_succeed_exactly_once(workers, live_server, openai_server):
    ai_model_on(openai_server)
    for _ in range(40):
        openai_server.reply("Noted. Who will use it?")
    users = [UserFactory(), UserFactory()]
    tokens = [AuthToken.objects.create(user)[1] for user in users]
    targets = [
        (f"/api/v1/interviews/{InterviewFactory(project__owner=user).pk}/messages/", token)
        for user, token in zip(users * 10, tokens * 10, strict=True)
    ] + [
        (f"/api/v1/chat-sessions/{ChatSessionFactory(task__project__owner=user).pk}/messages/", token)
        for user, token in zip(users * 10, tokens * 10, strict=True)
    ]

    def client(batch):
        return [post(live_server.url + path, token, {"content": "A shop"})["id"] for path, token in batch]

    batches = run_in_threads([lambda batch=targets[i::8]: client(batch) for i in range(8)])
    job_ids = [job_id for batch in batches for job_id in batch]
    jobs = settled(job_ids, workers)

    assert len(set(job_ids)) == 40
    assert set(jobs.values_list("status", "attempts")) == {("succeeded", 1)}
    assert JobEvent.objects.filter(job__in=jobs, type="done").count() == 40
    ran_on = {
        e.data["worker"].split("@")[0] for e in JobEvent.objects.filter(type="status", data__has_key="worker")
    }
    assert ran_on == {"w1", "w2"}
    assert all(len(interview.conversation_data) == 2 for interview in Interview.objects.all())
    for session in ChatSession.objects.all():
        assert list(session.messages.values_list("role", "content")) == [
            ("user", "A shop"),
            ("assistant", "Noted. Who will use it?"),
        ]
    assert len(openai_server.requests) == 40

    # The stream of a job a worker ran, read from the web process: events are persisted.
    job = jobs.filter(kind="chat_message").first()
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/jobs/{job.pk}/events/",
        headers={"Authorization": f"Token {tokens[0] if job.owner == users[0] else tokens[1]}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        stream = response.read().decode()
    tokens_streamed = [
        json.loads(line.removeprefix("data: "))["text"]
        for block in stream.split("\n\n")
        if "event: token" in block
        for line in block.splitlines()
        if line.startswith("data: ")
    ]
    assert "".join(tokens_streamed) == "Noted. Who will use it?"


def test_a_job_whose_worker_is_killed_is_redelivered_and_finishes_once(workers, live_server, openai_server):
    ai_model_on(openai_server, config={"timeout": 10, "max_retries": 0})
    owner = UserFactory()
    token = AuthToken.objects.create(owner)[1]
    session = ChatSessionFactory(task__project__owner=owner)
    openai_server.reply(
        "Adding it.", tool_calls=[{"name": "create_task", "arguments": {"title": "Checkout"}}]
    )
    # The worker is killed while this answer streams, after the tool has run.
    openai_server.reply("The Checkout task is now on the board.", chunk_delay=0.4)
    openai_server.reply("The Checkout task is now on the board.")

    job_id = post(
        f"{live_server.url}/api/v1/chat-sessions/{session.pk}/messages/", token, {"content": "Add it"}
    )["id"]

    def second_step_streaming():
        result = JobEvent.objects.filter(job_id=job_id, type="tool_result").first()
        return (
            result is not None
            and JobEvent.objects.filter(job_id=job_id, type="token", pk__gt=result.pk).exists()
        )

    workers._wait_for(second_step_streaming, "the second step to stream")
    running = JobEvent.objects.filter(job_id=job_id, type="status", data__status="running").get()
    victim = running.data["worker"].split("@")[0]
    workers.kill(victim)
    job = settled([job_id], workers).get()

    assert (job.status, job.attempts) == ("succeeded", 2), (job.error, workers.log("w1"), workers.log("w2"))
    attempts = JobEvent.objects.filter(job=job, type="status", data__status="running").order_by("pk")
    assert [e.data["worker"].split("@")[0] for e in attempts] == [victim, {"w1": "w2", "w2": "w1"}[victim]]
    assert list(Message.objects.values_list("role", "content")) == [
        ("user", "Add it"),
        ("assistant", "Adding it."),
        ("assistant", "The Checkout task is now on the board."),
    ]
    assert Task.objects.filter(title="Checkout").count() == 1
    assert ToolCall.objects.count() == 1
    first_step = [
        r for r in openai_server.requests if r["messages"][-1] == {"role": "user", "content": "Add it"}
    ]
    assert len(first_step) == 1  # the recorded step was not asked for again
