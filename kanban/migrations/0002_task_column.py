from django.db import migrations, models

STATUSES = ["backlog", "todo", "in_progress", "review", "done"]


def fill_columns(apps, schema_editor):
    Task = apps.get_model("kanban", "Task")
    for index, status in enumerate(STATUSES):
        Task.objects.filter(status=status).update(column=index)


class Migration(migrations.Migration):
    dependencies = [("kanban", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="task",
            name="column",
            field=models.PositiveSmallIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(fill_columns, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="task",
            name="column",
            field=models.PositiveSmallIntegerField(
                editable=False,
                help_text="The status's place in the workflow (backlog 0 ... done 4), for the board order.",
            ),
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("column", 0), ("status", "backlog")),
                    models.Q(("column", 1), ("status", "todo")),
                    models.Q(("column", 2), ("status", "in_progress")),
                    models.Q(("column", 3), ("status", "review")),
                    models.Q(("column", 4), ("status", "done")),
                    _connector="OR",
                ),
                name="task_column_matches_status",
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["column", "order", "id"], name="task_board_order"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["project", "column", "order", "id"], name="task_project_board_order"),
        ),
    ]
