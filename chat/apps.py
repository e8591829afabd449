from django.apps import AppConfig


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"

    def ready(self):
        from chat import jobs, receivers, system_settings  # noqa: F401  (kinds of job, receivers, settings)
