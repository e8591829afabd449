"""API tokens in admin are named by their key and user on every page, never by the digest."""

from html.parser import HTMLParser

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from knox.models import AuthToken

pytestmark = pytest.mark.django_db


class Text(HTMLParser):
    """A page's text as a person reads it (the digest, the token's primary key, is in its
    links and form values: nothing anyone reads)."""

    def __init__(self, html):
        super().__init__()
        self.parts, self.skipped = [], 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.skipped += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skipped -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skipped:
            self.parts.append(data)

    def __str__(self):
        return " ".join(" ".join(self.parts).split())


def text(response) -> str:
    assert response.status_code == 200
    return str(Text(response.content.decode()))


@pytest.fixture
def token(staff):
    return AuthToken.objects.create(user=staff)[0]


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_every_page_of_a_token_names_it_by_key_and_user(client, staff, token, view):
    client.force_login(staff)

    page = text(client.get(reverse(f"admin:core_apitoken_{view}", args=[token.pk])))

    assert f"Home Accounts API tokens Token {token.token_key}… of {staff}" in page  # breadcrumbs
    assert token.digest not in page


def test_the_list_shows_keys_and_the_change_log_names_the_token(client, staff, token):
    client.force_login(staff)
    changelist = reverse("admin:core_apitoken_changelist")

    listed = text(client.get(changelist))
    client.post(changelist, {"action": "delete_selected", "_selected_action": [token.pk], "post": "yes"})

    assert token.token_key in listed and token.digest not in listed
    assert not AuthToken.objects.exists()
    assert LogEntry.objects.get().object_repr == f"Token {token.token_key}… of {staff}"


def test_a_token_added_in_admin_is_shown_once(client, staff):
    client.force_login(staff)

    response = client.post(reverse("admin:core_apitoken_add"), {"user": staff.pk}, follow=True)

    (token,) = AuthToken.objects.all()
    page = text(response)
    assert f"TOKEN {token.token_key}" in page  # knox's message: the whole token, this once
    assert f"Token {token.token_key}… of {staff}" in page and token.digest not in page
