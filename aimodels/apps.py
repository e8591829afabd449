from django.apps import AppConfig


class AimodelsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aimodels"
    verbose_name = "AI models"

    def ready(self):
        from aimodels import jobs, receivers, system_settings  # noqa: F401  (kinds of job, receivers, settings)
