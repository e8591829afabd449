import time

from django.core.management.base import BaseCommand

from webhooks.services import deliver_due


class Command(BaseCommand):
    help = (
        "Send the webhook deliveries that are due (retries, redeliveries), and dispatch events "
        "a broker outage left in the outbox. --every N repeats it (the workers' beat does the same)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, help="Repeat every this many seconds, until stopped.")

    def handle(self, *, every, **options):
        while True:
            counts = deliver_due()
            self.stdout.write(
                f"{counts['dispatched']} delivery(ies) made from the outbox, {counts['sent']} sent."
            )
            if not every:
                return
            time.sleep(every)
