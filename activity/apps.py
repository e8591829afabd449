from django.apps import AppConfig


class ActivityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "activity"
    verbose_name = "Activity history"

    def ready(self):
        from activity import receivers  # noqa: F401  (connects on import)
