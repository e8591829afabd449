from core.commands import RepeatingCommand
from webhooks.services import deliver_due


class Command(RepeatingCommand):
    help = (
        "Send the webhook deliveries that are due (retries, redeliveries), and dispatch events "
        "a broker outage left in the outbox. --every N repeats it (the workers' beat does the same)."
    )

    def run_once(self, **options):
        counts = deliver_due()
        return f"{counts['dispatched']} delivery(ies) made from the outbox, {counts['sent']} sent."
