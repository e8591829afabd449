from django.core.management.base import BaseCommand
from tqdm import tqdm

from orchestrator.retention import KINDS, due, prune


class Command(BaseCommand):
    help = (
        "Delete what is past its retention (RETAIN_*_DAYS): job events, finished jobs' model-call "
        "payloads, webhook deliveries, activity records; in batches, with a count per kind."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; change nothing.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bars (logs, cron).")

    def handle(self, *, dry_run: bool, no_progress: bool, **options):
        for kind in KINDS:
            rows = due(kind)
            if rows is None:
                self.stdout.write(f"{kind.name}: kept forever ({kind.setting} is empty).")
                continue
            total = rows.count()
            if dry_run:
                self.stdout.write(f"{kind.name}: {total} would be pruned.")
                continue
            pruned = 0
            shown = not (no_progress or not total)
            with tqdm(total=total, desc=kind.name, unit="row", disable=not shown, file=self.stderr) as bar:
                for batch in prune(kind):
                    pruned += batch
                    bar.update(batch)
            self.stdout.write(f"{kind.name}: {pruned} pruned.")
