"""Keys never leave the server: scrubbed from provider errors and logs, never rendered back,
and the server calls only addresses it may call."""

import logging
from urllib.parse import quote

import pytest

from aimodels.gateway.base import scrub
from aimodels.models import AIModel
from aimodels.tests.factories import ISSUED_API_KEYS, AIModelFactory
from conftest import ai_model_on, job_error
from core.testing import refused_before_calling
from projects.tests.factories import InterviewFactory

KEY = "sk-proj-Secret/Key+With=Marks-0123456789"


def fragments(secret: str, size: int = 8) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


class TestScrub:
    @pytest.mark.parametrize(
        "echo",
        [
            KEY,
            KEY[:12] + "****" + KEY[-4:],  # a provider's own truncation
            f"key={quote(KEY, safe='')}",
            KEY[5:13],  # any eight characters
        ],
    )
    def test_the_key_and_every_piece_of_eight_or_more_are_redacted(self, echo):
        text = scrub(f"Incorrect API key provided: {echo}.", KEY)

        assert not any(piece in text for piece in fragments(KEY) | fragments(quote(KEY, safe="")))
        assert text.startswith("Incorrect API key provided: ") and "[redacted]" in text

    def test_pieces_shorter_than_eight_stay(self):
        assert scrub("sk-proj is the prefix", KEY) == "sk-proj is the prefix"


@pytest.mark.django_db
def test_a_provider_echoing_pieces_of_the_key_reaches_neither_the_user_nor_the_log(
    owner_client, owner, openai_server, caplog
):
    ai_model_on(openai_server, api_key=openai_server.api_key, usage_type="interview")
    key = openai_server.api_key
    openai_server.reply(status=400, error=f"bad key {key[:14]}... (sent {quote(key, safe='')})")
    interview = InterviewFactory(project__owner=owner)

    with caplog.at_level(logging.DEBUG):
        response = owner_client.post(f"/api/v1/interviews/{interview.pk}/messages/", {"content": "Hi"})

    events = owner_client.get(f"/api/v1/jobs/{response.json()['id']}/events/")
    seen = response.content.decode() + caplog.text + b"".join(events.streaming_content).decode()
    assert "[redacted]" in job_error(response)["detail"]
    assert not any(piece in seen for piece in fragments(key) | fragments(quote(key, safe="")))


@pytest.mark.django_db
def test_the_browsable_api_never_renders_a_submitted_key_back(client, staff):
    ISSUED_API_KEYS.add(KEY)
    model = AIModelFactory()
    client.force_login(staff)

    response = client.put(
        f"/api/v1/ai-models/{model.pk}/",
        f"name={model.name}&provider=bogus&model=m&api_key={quote(KEY, safe='')}&usage_type=general",
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT="text/html",
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert 'name="api_key"' in page
    assert not any(piece in page for piece in fragments(KEY))


@pytest.mark.django_db
class TestBaseURL:
    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("ftp://models.example/", "Must be an http:// or https:// URL."),
            ("http://169.254.169.254/v1", "a cloud metadata address"),
            ("http://[fd00:ec2::254]/v1", "a cloud metadata address"),
            ("http://169.254.10.1/v1", "a link-local address"),
            ("http://[fe80::1]/v1", "a link-local address"),
            ("http://[::ffff:169.254.169.254]/v1", "a cloud metadata address"),
            ("http://10.1.2.3/v1", "a private address"),
            ("http://192.168.1.10:8080/v1", "a private address"),
            ("http://100.64.0.1/v1", "a private address"),
            ("http://0.0.0.0/v1", "not a unicast address"),
        ],
    )
    def test_forbidden_addresses_are_a_400_naming_base_url(self, staff_client, url, reason):
        response = staff_client.post(
            "/api/v1/ai-models/", {"name": "m", "provider": "openai", "model": "x", "base_url": url}
        )

        assert response.status_code == 400
        assert list(response.json()) == ["base_url"]
        assert reason in response.json()["base_url"][0]
        assert not AIModel.objects.exists()

    def test_loopback_only_when_allowed(self, staff_client, settings):
        settings.OUTBOUND_ALLOW_LOOPBACK = False
        body = {"name": "local", "provider": "openai_compatible", "model": "llama"}

        for url in ("http://127.0.0.1:11434/v1", "http://localhost:11434/v1", "http://[::1]/v1"):
            response = staff_client.post("/api/v1/ai-models/", {**body, "base_url": url})
            assert response.status_code == 400, url
            assert "a loopback address" in response.json()["base_url"][0]
        settings.OUTBOUND_ALLOW_LOOPBACK = True
        assert (
            staff_client.post("/api/v1/ai-models/", {**body, "base_url": "http://localhost/v1"}).status_code
            == 201
        )

    def test_private_ranges_when_allowed(self, staff_client, settings):
        settings.OUTBOUND_ALLOW_PRIVATE = True
        body = {
            "name": "lan",
            "provider": "openai_compatible",
            "model": "llama",
            "base_url": "http://10.1.2.3/v1",
        }

        assert staff_client.post("/api/v1/ai-models/", body).status_code == 201

    def test_a_call_checks_the_address_again(self, owner_client, owner, openai_server, settings):
        ai_model_on(openai_server, name="local", usage_type="interview")
        settings.OUTBOUND_ALLOW_LOOPBACK = False
        interview = InterviewFactory(project__owner=owner)

        response = owner_client.post(f"/api/v1/interviews/{interview.pk}/messages/", {"content": "Hi"})

        assert refused_before_calling(response, openai_server)["detail"].startswith(
            "AI model 'local' cannot be called: 127.0.0.1 is a loopback"
        )
