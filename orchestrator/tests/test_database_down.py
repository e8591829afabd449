"""A database that drops the connection or shuts down under a request is a 503 with
Retry-After in the one error shape, never a 500, on the API and on admin pages."""

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client

from core.testing import postgres_only
from projects.tests.factories import ProjectFactory


def failing_queries(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


@pytest.mark.django_db
def test_a_lost_connection_under_an_api_request_is_a_503(owner_client, owner):
    ProjectFactory(owner=owner)

    with connection.execute_wrapper(failing_queries):
        response = owner_client.get("/api/v1/projects/")

    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unavailable; try again in a few seconds."}
    assert response["Retry-After"] == "2"


@pytest.mark.django_db
def test_a_lost_connection_under_a_write_is_a_503_too(owner_client, owner):
    project = ProjectFactory(owner=owner)

    with connection.execute_wrapper(failing_queries):
        response = owner_client.post("/api/v1/tasks/", {"project": str(project.pk), "title": "Pay"})

    assert (response.status_code, response["Retry-After"]) == (503, "2")


@pytest.mark.django_db
def test_an_admin_page_answers_503_not_500(staff):
    client = Client(raise_request_exception=False)  # as a server answers: through handler500
    client.force_login(staff)

    with connection.execute_wrapper(failing_queries):
        response = client.get("/admin/projects/project/")

    assert (response.status_code, response["Retry-After"]) == (503, "2")
    assert b"database is unavailable" in response.content


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_the_server_shutting_the_connection_down_is_a_503(owner_client, owner):
    """The request's own connection is terminated by the server (as a restart does) just as
    it queries: psycopg's AdminShutdown."""
    ProjectFactory(owner=owner)
    settings = connection.settings_dict
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    killed = []

    def terminate_first(execute, sql, params, many, context):
        if not killed:
            with psycopg.connect(
                host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"], dbname="postgres"
            ) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(terminate_first):
        response = owner_client.get("/api/v1/projects/")

    assert killed and response.status_code == 503
    assert response.json()["detail"].startswith("The database is unavailable")
    connection.close()
    assert owner_client.get("/api/v1/projects/").status_code == 200  # and it recovers
