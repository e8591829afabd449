"""Persona fixtures shared by every app's tests: owner, outsider, staff, and their API clients."""

import pytest
from rest_framework.test import APIClient

from aimodels.tests.factories import ISSUED_API_KEYS
from projects.tests.factories import UserFactory


def pytest_configure():
    from django.conf import settings

    # Real password hashing costs a quarter of a second per user; tests make hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class KeyCheckingAPIClient(APIClient):
    """An API client that fails the test when a response shows a stored API key."""

    def request(self, **kwargs):
        response = super().request(**kwargs)
        body = response.content.decode(errors="replace")
        leaked = [key for key in ISSUED_API_KEYS if key in body]
        assert not leaked, f"a response contains a stored API key: {kwargs.get('PATH_INFO')}"
        return response


def client_for(user=None) -> KeyCheckingAPIClient:
    client = KeyCheckingAPIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", is_staff=True, is_superuser=True)


@pytest.fixture
def anonymous_client():
    return client_for()


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)


@pytest.fixture
def staff_client(staff):
    return client_for(staff)
