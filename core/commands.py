"""What the apps' management commands share."""

import time

from django.core.management.base import BaseCommand


class RepeatingCommand(BaseCommand):
    """A command that does its work once, or with --every N again every N seconds until stopped.

    A subclass says what one round does in `run_once`, which returns the line to print.
    """

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, help="Repeat every this many seconds, until stopped.")

    def run_once(self, **options) -> str:
        raise NotImplementedError

    def handle(self, *, every, **options):
        while True:
            self.stdout.write(self.run_once(**options))
            if not every:
                return
            time.sleep(every)
