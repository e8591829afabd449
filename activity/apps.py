from django.apps import AppConfig


class ActivityConfig(AppConfig):
    """The append-only change history: it stores what `core.history` records, and reads it
    back (project and task activity). It imports the apps below it; none imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "activity"
    verbose_name = "Activity history"

    def ready(self):
        from activity.receivers import store_change
        from core.history import change_recorded

        change_recorded.connect(store_change, dispatch_uid="activity-store-change")
