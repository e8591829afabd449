"""Token lifetime: fixed expiry, logout, and revocation by a password change."""

from datetime import timedelta

import pytest
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
