from django.core.management.base import BaseCommand

from aimodels.models import AIModel


class Command(BaseCommand):
    help = "List the AI model configurations; keys are shown masked (sk-...abcd), never whole."

    def handle(self, **options):
        rows = [("NAME", "PROVIDER", "MODEL", "USAGE", "ACTIVE", "KEY", "BASE URL")]
        rows += [
            (
                m.name,
                m.provider,
                m.model,
                m.usage_type,
                "yes" if m.is_active else "no",
                m.api_key_hint or "-",
                m.base_url,
            )
            for m in AIModel.objects.order_by("name")
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
