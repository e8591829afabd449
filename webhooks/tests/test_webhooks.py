"""Webhooks end to end: a real local HTTP receiver that verifies each Standard Webhooks
signature with the secret the API showed once."""

import io
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.test import override_settings
from standardwebhooks import Webhook

from core.testing import rebinding_dns
from jobs.models import Job
from jobs.tests.conftest import use_broker
from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory
from webhooks.models import WebhookDelivery, WebhookSubscription

# Deliveries are sent once the change commits: these tests commit for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_retries")]


@pytest.fixture
def quick_retries():
    with override_settings(WEBHOOK_BACKOFF_SECONDS=0.01, WEBHOOK_MAX_ATTEMPTS=3):
        yield


class Receiver:
    """Answers each POST with the next scripted status (200 when none is left) and keeps
    what it was sent, with whether the signature verified."""

    def __init__(self):
        self.statuses: deque[int] = deque()
        self.received: list[dict] = []
        self.secret = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                    verified = True
                except Exception:
                    verified = False
                receiver.received.append({"headers": headers, "body": json.loads(body), "verified": verified})
                self.send_response(receiver.statuses.popleft() if receiver.statuses else 200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def project(owner):
    return ProjectFactory(owner=owner)


def subscribe(client, project, receiver, event_types=("*",)):
    response = client.post(
        "/api/v1/webhooks/",
        {"project": str(project.pk), "url": receiver.url, "event_types": list(event_types)},
    )
    assert response.status_code == 201, response.content
    receiver.secret = response.json()["secret"]
    return response.json()


def failed_delivery(client, project, receiver):
    """A subscription to task.created and its delivery, failed after its 3 attempts (500s)."""
    subscription = subscribe(client, project, receiver, ["task.created"])
    receiver.statuses.extend([500, 500, 500])
    TaskFactory(project=project)
    for _ in range(2):
        time.sleep(0.05)
        call_command("deliver_webhooks", stdout=io.StringIO())
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    return subscription, delivery


class TestDelivery:
    def test_events_arrive_signed_with_the_secret_shown_once(self, owner_client, project, receiver):
        created = subscribe(owner_client, project, receiver, ["task.created", "task.moved"])

        task = owner_client.post("/api/v1/tasks/", {"project": str(project.pk), "title": "Cart"}).json()
        owner_client.post(f"/api/v1/tasks/{task['id']}/move/", {"status": "todo"})
        owner_client.patch(f"/api/v1/tasks/{task['id']}/", {"title": "Basket"})  # not subscribed

        assert created["secret"].startswith("whsec_")
        assert owner_client.get(f"/api/v1/webhooks/{created['id']}/").json()["secret"] is None
        assert [r["body"]["type"] for r in receiver.received] == ["task.created", "task.moved"]
        assert all(r["verified"] for r in receiver.received)
        first = receiver.received[0]
        assert first["body"]["data"]["id"] == task["id"]
        assert first["headers"]["webhook-id"].startswith("msg_")
        assert first["headers"]["webhook-signature"].startswith("v1,")
        log = owner_client.get(f"/api/v1/webhooks/{created['id']}/deliveries/").json()["results"]
        assert [(d["event_type"], d["status"], d["attempts"]) for d in log] == [
            ("task.moved", "succeeded", 1),
            ("task.created", "succeeded", 1),
        ]

    def test_failures_are_retried_with_backoff_then_logged_as_failed(self, owner_client, project, receiver):
        subscribe(owner_client, project, receiver, ["task.created"])
        receiver.statuses.extend([500, 503])
        TaskFactory(project=project)  # the first attempt, inline
        receiver.statuses.extend([500, 500, 500])
        TaskFactory(project=project)

        for _ in range(3):  # the retries, as they fall due
            time.sleep(0.05)
            call_command("deliver_webhooks", stdout=io.StringIO())

        first, second = WebhookDelivery.objects.order_by("created_at")
        assert (first.status, first.attempts, first.response_status) == ("succeeded", 3, 200)
        assert (second.status, second.attempts, second.response_status) == ("failed", 3, 500)
        assert len({r["headers"]["webhook-id"] for r in receiver.received}) == 2  # same id on retries

    def test_redelivery_from_the_log_sends_the_same_message_again(self, owner_client, project, receiver):
        subscription, delivery = failed_delivery(owner_client, project, receiver)

        response = owner_client.post(
            f"/api/v1/webhooks/{subscription['id']}/deliveries/{delivery.pk}/redeliver/"
        )

        delivery.refresh_from_db()
        assert response.status_code == 200  # inline: it has ended
        assert (response.json()["status"], response.json()["attempts"]) == ("succeeded", 4)
        assert (delivery.status, delivery.attempts) == ("succeeded", 4)
        assert receiver.received[-1]["headers"]["webhook-id"] == receiver.received[0]["headers"]["webhook-id"]
        assert receiver.received[-1]["verified"]

    def test_redelivery_on_workers_is_accepted_while_it_waits(
        self, owner_client, project, receiver, settings
    ):
        subscription, delivery = failed_delivery(owner_client, project, receiver)
        use_broker(settings, "memory://")

        response = owner_client.post(
            f"/api/v1/webhooks/{subscription['id']}/deliveries/{delivery.pk}/redeliver/"
        )

        assert (response.status_code, response.json()["status"]) == (202, "pending")

    def test_job_completions_are_events_too(self, owner_client, owner, project, receiver, openai_server):
        from conftest import ai_model_on

        subscribe(owner_client, project, receiver, ["job.succeeded"])
        ai_model_on(openai_server)
        openai_server.reply("feat: add the cart")
        task = TaskFactory(project=project)

        owner_client.post("/api/v1/commits/generate/", {"task": str(task.pk), "changes": {}})

        (event,) = receiver.received
        assert event["body"]["data"]["kind"] == "commit_generate"
        assert Job.objects.count() == 1  # deliveries are not jobs

    def test_inactive_subscriptions_and_other_projects_get_nothing(
        self, owner_client, owner, project, receiver
    ):
        created = subscribe(owner_client, project, receiver)
        owner_client.patch(f"/api/v1/webhooks/{created['id']}/", {"is_active": False})
        TaskFactory(project=project)
        TaskFactory(project=ProjectFactory(owner=owner))

        assert receiver.received == []


class TestRules:
    @pytest.mark.parametrize(
        "url", ["http://169.254.169.254/latest/meta-data", "ftp://example.com/hooks", "http://[fe80::1]/x"]
    )
    def test_the_outbound_address_rules_apply(self, owner_client, project, url):
        response = owner_client.post(
            "/api/v1/webhooks/", {"project": str(project.pk), "url": url, "event_types": ["*"]}
        )

        assert (response.status_code, list(response.json())) == (400, ["url"])
        assert not WebhookSubscription.objects.exists()

    def test_bad_event_types_are_refused(self, owner_client, project, receiver):
        response = owner_client.post(
            "/api/v1/webhooks/",
            {"project": str(project.pk), "url": receiver.url, "event_types": ["Task Created"]},
        )

        assert (response.status_code, list(response.json())) == (400, ["event_types"])

    def test_another_users_subscription_is_not_found(self, owner_client, outsider_client, project, receiver):
        created = subscribe(owner_client, project, receiver)

        assert outsider_client.get(f"/api/v1/webhooks/{created['id']}/").status_code == 404
        assert outsider_client.get(f"/api/v1/webhooks/{created['id']}/deliveries/").status_code == 404
        assert outsider_client.get("/api/v1/webhooks/").json()["results"] == []
        refused = outsider_client.post(
            "/api/v1/webhooks/", {"project": str(project.pk), "url": receiver.url, "event_types": ["*"]}
        )
        assert refused.status_code == 400

    def test_the_secret_is_stored_encrypted(self, owner_client, project, receiver):
        from django.db import connection

        created = subscribe(owner_client, project, receiver)
        with connection.cursor() as cursor:
            cursor.execute("SELECT secret FROM webhooks_webhooksubscription")
            (stored,) = cursor.fetchone()

        assert created["secret"] not in stored


class TestOutOfTheWritePath:
    def test_one_transaction_is_one_outbox_row_whatever_it_records(
        self, owner_client, project, receiver, settings
    ):
        from django.db import transaction

        from jobs.tests.conftest import use_broker
        from kanban import services
        from webhooks.models import WebhookOutbox

        subscribe(owner_client, project, receiver, ["*"])
        use_broker(settings, "memory://")  # workers mode: the dispatch waits for one
        with transaction.atomic():
            first = services.task_create(project=project, title="Cart")
            services.task_create(project=project, title="Pay", dependencies=[first])
            services.task_move(task=first, status="todo")

        (outbox,) = WebhookOutbox.objects.all()
        assert [event["type"] for event in outbox.events] == [
            "task.created",
            "task.created",
            "task.changed",
            "task.moved",
        ]
        assert not WebhookDelivery.objects.exists() and receiver.received == []

        # The broker never took the dispatch: deliver_due finds the row once it is old enough.
        WebhookOutbox.objects.update(created_at=outbox.created_at.replace(year=2020))
        settings.JOBS_INLINE = True
        call_command("deliver_webhooks", stdout=io.StringIO())

        assert not WebhookOutbox.objects.exists()
        assert [r["body"]["type"] for r in receiver.received] == [e["type"] for e in outbox.events]

    def test_a_redirect_is_a_failed_attempt_and_is_not_followed(self, owner_client, project, receiver):
        subscribe(owner_client, project, receiver, ["task.created"])
        receiver.statuses.append(302)

        TaskFactory(project=project)

        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.response_status, delivery.error) == ("pending", 302, "HTTP 302")
        assert len(receiver.received) == 1

    def test_the_address_checked_is_the_address_connected_to(
        self, owner_client, project, receiver, monkeypatch
    ):
        """A name that resolves to an allowed address when checked, and to the metadata
        address right after (DNS rebinding), is still sent to the address that was checked."""
        port = receiver.server.server_address[1]
        subscription = subscribe(owner_client, project, receiver, ["task.created"])
        WebhookSubscription.objects.filter(pk=subscription["id"]).update(
            url=f"http://hooks.test:{port}/hooks"
        )
        rebinding_dns(monkeypatch, "hooks.test", port, ["127.0.0.1"] + ["169.254.169.254"] * 10)
        TaskFactory(project=project)

        assert WebhookDelivery.objects.get().status == "succeeded"
        assert receiver.received[0]["headers"]["host"] == f"hooks.test:{port}"

    def test_inline_deliveries_share_one_attempts_time(self, owner_client, project, settings):
        """Five subscriptions to a receiver that never answers delay a write by one attempt's
        timeout, not five: what is left is due for deliver_webhooks."""
        import socket
        import time as clock

        hanging = socket.socket()
        hanging.bind(("127.0.0.1", 0))
        hanging.listen(16)
        url = f"http://127.0.0.1:{hanging.getsockname()[1]}/hooks"
        settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
        for _ in range(5):
            owner_client.post(
                "/api/v1/webhooks/", {"project": str(project.pk), "url": url, "event_types": ["*"]}
            )
        try:
            started = clock.monotonic()
            owner_client.post("/api/v1/tasks/", {"project": str(project.pk), "title": "Cart"})
            took = clock.monotonic() - started
        finally:
            hanging.close()

        assert took < 1.5  # one attempt's time (0.5 s), not five
        deliveries = WebhookDelivery.objects.filter(event_type="task.created")
        assert deliveries.count() == 5
        assert {d.status for d in deliveries} == {"pending"}

    def test_an_event_outside_a_transaction_is_dispatched_at_once(self, owner_client, project, receiver):
        from webhooks import services

        subscribe(owner_client, project, receiver, ["task.created"])

        services.enqueue(project_id=project.pk, event_type="task.created", data={"id": "x"})

        assert [r["body"] for r in receiver.received] == [{"type": "task.created", "data": {"id": "x"}}]
