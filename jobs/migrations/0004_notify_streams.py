from django.db import migrations

from core.notify_triggers import notify_on_insert


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0003_dispatches'),
    ]

    operations = [
        notify_on_insert("jobs_jobevent", "job", "job_id"),
    ]
