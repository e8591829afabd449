from celery import shared_task


@shared_task(name="orchestrator.prune", ignore_result=True)
def prune() -> None:
    """What is past its retention goes (the beat runs it daily; `manage.py prune` by hand)."""
    from orchestrator.retention import KINDS, prune

    for kind in KINDS:
        for _batch in prune(kind):
            pass
