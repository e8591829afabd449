"""The webhook work the workers do, on the `webhooks` queue (the beat runs `deliver_due`)."""

from celery import shared_task


@shared_task(name="webhooks.dispatch", ignore_result=True)
def dispatch(outbox_ids: list[str]) -> None:
    from webhooks.services import dispatch

    dispatch(outbox_ids)


@shared_task(name="webhooks.attempt", ignore_result=True)
def attempt(delivery_id: str) -> None:
    from webhooks.services import attempt

    attempt(delivery_id)


@shared_task(name="webhooks.deliver_due", ignore_result=True)
def deliver_due() -> None:
    from webhooks.services import deliver_due

    deliver_due()
