from django.db import migrations

from core.notify_triggers import stream_trigger


class Migration(migrations.Migration):

    dependencies = [
        ('activity', '0002_job_verbs_and_notify'),
    ]

    operations = [
        stream_trigger("activity_activity", "project", "project_id"),
    ]
