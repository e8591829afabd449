"""Throttles: sign-in per address and per username, AI actions per user; 429 with Retry-After."""

import socket
import uuid

import pytest

from conftest import ai_model_on
from projects.tests.factories import InterviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "4/min", "login_username": "3/min", "ai": "2/min"},
    }


def sign_in(client, username, address="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": "wrong"}, REMOTE_ADDR=address
    )


@pytest.mark.usefixtures("rates")
class TestSignIn:
    def test_attempts_per_username_from_any_address(self, anonymous_client, owner):
        answers = [sign_in(anonymous_client, "owner", f"10.0.0.{n}") for n in range(4)]

        assert [a.status_code for a in answers] == [400, 400, 400, 429]
        assert int(answers[-1]["Retry-After"]) > 0
        assert answers[-1].json()["detail"].startswith("Request was throttled.")
        assert sign_in(anonymous_client, "someone-else", "10.0.0.9").status_code == 400

    def test_attempts_per_address_whatever_the_username(self, anonymous_client):
        answers = [sign_in(anonymous_client, f"user{n}") for n in range(5)]

        assert [a.status_code for a in answers] == [400, 400, 400, 400, 429]
        assert sign_in(anonymous_client, "user9", "10.0.0.2").status_code == 400

    @pytest.mark.parametrize("url", ["/api/auth/login/", "/admin/login/"])
    def test_the_session_sign_in_pages_count_the_same(self, client, owner, url):
        answers = [client.post(url, {"username": "owner", "password": "wrong"}) for _ in range(4)]

        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert int(answers[-1]["Retry-After"]) > 0
        assert client.get(url).status_code == 200


@pytest.mark.usefixtures("rates")
def test_ai_actions_per_user(owner_client, owner, outsider_client, openai_server):
    ai_model_on(openai_server, usage_type="interview")
    interview = InterviewFactory(project__owner=owner)
    url = f"/api/v1/interviews/{interview.pk}/messages/"
    openai_server.reply("First?")
    openai_server.reply("Second?")

    answers = [owner_client.post(url, {"content": "Hi"}) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert len(openai_server.requests) == 2
    assert owner_client.get(f"/api/v1/interviews/{interview.pk}/").status_code == 200
    other = outsider_client.post("/api/v1/prompts/generate/", {"interview": str(interview.pk)})
    assert other.status_code == 400  # counted apart: the outsider is not throttled, only refused


@pytest.mark.usefixtures("rates")
def test_counts_are_shared_through_redis(anonymous_client, settings):
    """Every web process sees the same counts: they live in Redis, not in the process."""
    import redis

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/3",
            "KEY_PREFIX": f"throttle-test-{uuid.uuid4()}",
        }
    }
    server = redis.Redis.from_url("redis://127.0.0.1:6379/3")

    answers = [sign_in(anonymous_client, "owner", f"10.9.0.{n}") for n in range(4)]

    assert [a.status_code for a in answers] == [400, 400, 400, 429]
    keys = server.keys(f"{settings.CACHES['default']['KEY_PREFIX']}:*throttle_login_username_*")
    assert len(keys) == 1
    server.delete(*server.keys(f"{settings.CACHES['default']['KEY_PREFIX']}:*"))


@pytest.fixture
def cache_down(settings):
    """The cache on a Redis that is not there (nothing listens on the port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }


@pytest.mark.usefixtures("rates", "cache_down")
class TestCacheDown:
    """Redis is often the cache and the broker at once: with it down, work is still accepted
    and sign-ins are refused in words, never a 500."""

    def test_an_ai_action_is_let_through_uncounted(self, owner_client, owner, openai_server):
        ai_model_on(openai_server, usage_type="interview")
        interview = InterviewFactory(project__owner=owner)
        for _ in range(3):
            openai_server.reply("Who are the users?")

        answers = [
            owner_client.post(f"/api/v1/interviews/{interview.pk}/messages/", {"content": "Hi"})
            for _ in range(3)
        ]

        assert [a.status_code for a in answers] == [200, 200, 200]

    @pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/auth/login/", "/admin/login/"])
    def test_a_sign_in_is_a_503_that_says_why(self, client, owner, url):
        answer = client.post(url, {"username": "owner", "password": "wrong"})

        assert answer.status_code == 503
        assert answer.json()["detail"] == "The cache is unavailable; try again in a few seconds."
        assert answer["Retry-After"] == "2"
