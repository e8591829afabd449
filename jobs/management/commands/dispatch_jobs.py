import time

from django.core.management.base import BaseCommand

from jobs.services import dispatch_queued


class Command(BaseCommand):
    help = (
        "Send again the jobs still queued JOBS_REDISPATCH_AFTER seconds after they were sent "
        "(a broker outage, a lost message); inline, run them. --every N repeats it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, help="Seconds (default JOBS_REDISPATCH_AFTER).")
        parser.add_argument("--every", type=float, help="Repeat every this many seconds, until stopped.")

    def handle(self, *, older_than, every, **options):
        while True:
            sent = dispatch_queued(older_than=older_than)
            self.stdout.write(f"{sent} job(s) sent again.")
            if not every:
                return
            time.sleep(every)
