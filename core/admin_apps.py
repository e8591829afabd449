"""`django.contrib.admin`'s app config with this project's site; INSTALLED_APPS names it in
place of Django's. A module of its own: it is imported while apps load, before models."""

from django.contrib.admin import apps


class AdminConfig(apps.AdminConfig):
    """Admin with `core.admin.AdminSite` as `admin.site` (its pickers tell objects apart and
    keep to a task's project)."""

    default_site = "core.admin.AdminSite"
