from django.db import migrations

from core.notify_triggers import stream_trigger


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0005_no_delivery_jobs'),
    ]

    operations = [
        stream_trigger("jobs_jobevent", "job", "job_id"),
    ]
