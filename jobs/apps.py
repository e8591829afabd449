from django.apps import AppConfig


class JobsConfig(AppConfig):
    """The job engine (Job, JobEvent, ModelCall; submit, run, record, events, idempotency,
    dispatch). It knows no domain: apps above declare their kinds in their `jobs.py`, found
    here, and hear of jobs through `jobs.signals`. Imports core only."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("jobs")
