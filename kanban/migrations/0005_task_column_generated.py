"""`Task.column` becomes a stored generated column: the database derives it from `status`,
so no writer sets it (it was kept in step by hand, and a CHECK held the two together).
Reversible: going back adds the plain column again and fills it from `status`."""

from django.db import migrations, models

COLUMN_OF = {"backlog": 0, "todo": 1, "in_progress": 2, "review": 3, "done": 4}


def fill_columns(apps, schema_editor):
    Task = apps.get_model("kanban", "Task")
    for status, index in COLUMN_OF.items():
        Task.objects.filter(status=status).update(column=index)


class Migration(migrations.Migration):

    dependencies = [
        ('kanban', '0004_ai_usage_totals'),
    ]

    operations = [
        migrations.RemoveIndex(model_name='task', name='task_board_order'),
        migrations.RemoveIndex(model_name='task', name='task_project_board_order'),
        migrations.RemoveConstraint(model_name='task', name='task_column_matches_status'),
        migrations.AlterField(
            model_name='task',
            name='column',
            field=models.PositiveSmallIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(migrations.RunPython.noop, fill_columns),
        migrations.RemoveField(model_name='task', name='column'),
        migrations.AddField(
            model_name='task',
            name='column',
            field=models.GeneratedField(db_persist=True, expression=models.Case(models.When(status='backlog', then=models.Value(0)), models.When(status='todo', then=models.Value(1)), models.When(status='in_progress', then=models.Value(2)), models.When(status='review', then=models.Value(3)), models.When(status='done', then=models.Value(4)), output_field=models.PositiveSmallIntegerField()), help_text="The status's place in the workflow (backlog 0 ... done 4), for the board order.", output_field=models.PositiveSmallIntegerField()),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['column', 'order', 'id'], name='task_board_order'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['project', 'column', 'order', 'id'], name='task_project_board_order'),
        ),
    ]
