from core.commands import RepeatingCommand
from jobs.services import dispatch_queued


class Command(RepeatingCommand):
    help = (
        "Send again the jobs still queued JOBS_REDISPATCH_AFTER seconds after they were sent "
        "(a broker outage, a lost message); inline, run them. --every N repeats it."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--older-than", type=float, help="Seconds (default JOBS_REDISPATCH_AFTER).")

    def run_once(self, *, older_than, **options):
        return f"{dispatch_queued(older_than=older_than)} job(s) sent again."
