"""The Celery application: `celery -A orchestrator worker` finds it here.

Configured from Django settings named CELERY_*; see settings.py and the README."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator.settings")

app = Celery("orchestrator")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["jobs", "webhooks", "orchestrator"])
