from django.apps import AppConfig


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"

    def ready(self):
        # Each app keeps the handlers of its own AI actions in `<app>/jobs.py`.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("jobs")
