"""Token lifetime: fixed expiry, logout, and revocation by a password change."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken

from conftest import client_for

pytestmark = pytest.mark.django_db


def token_client(user):
    _, token = AuthToken.objects.create(user=user)
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_token_lasts_the_configured_days_and_not_a_second_more(owner):
    client = token_client(owner)
    stored = AuthToken.objects.get(user=owner)

    assert abs(stored.expiry - stored.created - timedelta(days=30)) < timedelta(seconds=1)
    assert client.get("/api/v1/projects/").status_code == 200
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/projects/")
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid token."})


def test_an_expired_token_is_deleted_when_used(owner):
    client = token_client(owner)
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))

    assert client.get("/api/v1/projects/").status_code == 401
    assert not AuthToken.objects.exists()


def test_a_token_is_checked_in_one_query(owner):
    for _ in range(3):  # the user's other tokens are not read
        AuthToken.objects.create(user=owner)
    client = token_client(owner)

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/tasks/").status_code == 200

    assert [query["sql"] for query in queries if "knox_authtoken" in query["sql"]] == [queries[0]["sql"]]
    assert len(queries) == 2  # the token with its user, the page (no tasks: no dependencies)


def test_signing_in_sweeps_the_users_expired_tokens(anonymous_client, owner, outsider):
    owner.set_password("a passphrase of some length")
    owner.save()
    for user in (owner, outsider):
        AuthToken.objects.create(user=user, expiry=timedelta(seconds=-1))
    live, _ = AuthToken.objects.create(user=owner)

    response = anonymous_client.post(
        "/api/v1/auth/token/", {"username": owner.username, "password": "a passphrase of some length"}
    )

    assert response.status_code == 200
    assert AuthToken.objects.filter(user=owner, expiry__lt=timezone.now()).count() == 0
    assert AuthToken.objects.filter(user=outsider).count() == 1


def test_use_does_not_extend_a_token(owner):
    client = token_client(owner)
    expiry = AuthToken.objects.get().expiry

    client.get("/api/v1/projects/")

    assert AuthToken.objects.get().expiry == expiry


def test_logout_revokes_the_token_it_is_made_with_only(owner):
    client, other = token_client(owner), token_client(owner)

    response = client.post("/api/v1/auth/logout/")

    assert response.status_code == 204
    assert client.get("/api/v1/projects/").status_code == 401
    assert other.get("/api/v1/projects/").status_code == 200


def test_logout_all_revokes_every_token_of_the_user(owner, outsider):
    client, other, outsiders = token_client(owner), token_client(owner), token_client(outsider)

    assert client.post("/api/v1/auth/logout-all/").status_code == 204

    assert other.get("/api/v1/projects/").status_code == 401
    assert outsiders.get("/api/v1/projects/").status_code == 200


def test_a_password_change_revokes_every_token_of_the_user(owner, outsider):
    client, outsiders = token_client(owner), token_client(outsider)

    owner.set_password("a new passphrase entirely")
    owner.save()

    assert client.get("/api/v1/projects/").status_code == 401
    assert outsiders.get("/api/v1/projects/").status_code == 200


def test_other_saves_of_the_user_keep_tokens(owner):
    client = token_client(owner)

    owner.first_name = "Ada"
    owner.save()

    assert client.get("/api/v1/projects/").status_code == 200


@pytest.mark.parametrize(
    "header", [b"Token \xff\xfe", b"Token a b", b"Token", "Token \u00e9t\u00e9".encode()]
)
def test_malformed_token_headers_are_401(anonymous_client, header):
    response = anonymous_client.get("/api/v1/projects/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert list(response.json()) == ["detail"]
