"""Webhooks end to end: a real local HTTP receiver that verifies each Standard Webhooks
signature with the secret the API showed once."""

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from standardwebhooks import Webhook

from jobs.models import Job
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

        TaskFactory(project=project)
        receiver.statuses.extend([500, 500, 500])
        TaskFactory(project=project)

        first, second = WebhookDelivery.objects.order_by("created_at")
        assert (first.status, first.attempts, first.response_status) == ("succeeded", 3, 200)
        assert (second.status, second.attempts, second.response_status) == ("failed", 3, 500)
        assert len({r["headers"]["webhook-id"] for r in receiver.received}) == 2  # same id on retries

    def test_redelivery_from_the_log_sends_the_same_message_again(self, owner_client, project, receiver):
        subscription = subscribe(owner_client, project, receiver, ["task.created"])
        receiver.statuses.extend([500, 500, 500])
        TaskFactory(project=project)
        delivery = WebhookDelivery.objects.get()

        response = owner_client.post(
            f"/api/v1/webhooks/{subscription['id']}/deliveries/{delivery.pk}/redeliver/"
        )

        delivery.refresh_from_db()
        assert response.status_code == 202
        assert (delivery.status, delivery.attempts) == ("succeeded", 4)
        assert receiver.received[-1]["headers"]["webhook-id"] == receiver.received[0]["headers"]["webhook-id"]
        assert receiver.received[-1]["verified"]

    def test_job_completions_are_events_too(self, owner_client, owner, project, receiver, openai_server):
        from conftest import ai_model_on

        subscribe(owner_client, project, receiver, ["job.succeeded"])
        ai_model_on(openai_server)
        openai_server.reply("feat: add the cart")
        task = TaskFactory(project=project)

        owner_client.post("/api/v1/commits/generate/", {"task": str(task.pk), "changes": {}})

        (event,) = receiver.received
        assert event["body"]["data"]["kind"] == "commit_generate"
        assert not Job.objects.filter(kind="webhook_delivery", status="failed").exists()

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
