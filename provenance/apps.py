from django.apps import AppConfig


class ProvenanceConfig(AppConfig):
    name = "provenance"

    def ready(self):
        from provenance import admin  # noqa: F401  (its receivers add the timeline panels)
