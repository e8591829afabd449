from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

# Reverse dependency order: an app is unapplied before the apps it depends on.
APPS_TOP_DOWN = ["chat", "kanban", "projects", "aimodels"]


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)

    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_every_app_migrates_to_zero_and_back():
    for app in APPS_TOP_DOWN:
        call_command("migrate", app, "zero", verbosity=0)

    tables = set(connection.introspection.table_names())
    assert not {"projects_project", "kanban_task", "chat_toolcall", "aimodels_aimodel"} & tables

    call_command("migrate", verbosity=0)

    applied = {app for app, _ in MigrationRecorder(connection).applied_migrations()}
    assert set(APPS_TOP_DOWN) <= applied
    assert {"projects_project", "kanban_task", "chat_toolcall", "aimodels_aimodel"} <= set(
        connection.introspection.table_names()
    )
