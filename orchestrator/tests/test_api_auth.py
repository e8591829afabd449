import pytest
from drf_spectacular.validation import validate_schema
from knox.models import AuthToken

from conftest import api_schema
from core.testing import iso


@pytest.mark.django_db
class TestTokenAuth:
    def test_token_for_username_and_password(self, anonymous_client, owner):
        response = anonymous_client.post(
            "/api/v1/auth/token/", {"username": "owner", "password": "correct horse battery staple"}
        )

        assert response.status_code == 200
        assert set(response.json()) == {"token", "expiry"}
        stored = AuthToken.objects.get(user=owner)
        assert iso(stored.expiry) == response.json()["expiry"]
        assert response.json()["token"] not in str(AuthToken.objects.values().get())  # stored hashed

    def test_wrong_password_is_a_400(self, anonymous_client, owner):
        response = anonymous_client.post("/api/v1/auth/token/", {"username": "owner", "password": "nope"})

        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}

    def test_the_token_authenticates_requests(self, anonymous_client, owner):
        _, token = AuthToken.objects.create(user=owner)
        anonymous_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

        assert anonymous_client.get("/api/v1/projects/").status_code == 200

    def test_anonymous_api_requests_get_401(self, anonymous_client):
        response = anonymous_client.get("/api/v1/projects/")

        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {"detail": "Authentication credentials were not provided."}

    def test_anonymous_browsable_api_goes_to_the_login_page(self, client):
        response = client.get("/api/v1/projects/", HTTP_ACCEPT="text/html")

        assert response.status_code == 302
        assert response["Location"] == "/api/auth/login/?next=/api/v1/projects/"
        assert client.get(response["Location"]).status_code == 200

    def test_browsable_api_has_login_and_logout_links(self, client, owner):
        client.force_login(owner)

        page = client.get("/api/v1/projects/", HTTP_ACCEPT="text/html").content.decode()

        assert "/api/auth/logout/" in page


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_docs_pages_answer_200(client, url):
    assert client.get(url).status_code == 200


def test_schema_is_valid_openapi_3_with_token_auth():
    schema = api_schema()

    validate_schema(schema)
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
    patch = schema["paths"]["/api/v1/tasks/{id}/"]["patch"]
    assert {"200", "400", "401", "403", "404"} <= set(patch["responses"])
    assert "api_key" not in schema["components"]["schemas"]["AIModel"]["properties"]
