"""`Idempotency-Key`: the same owner and key give the first job back, and nothing runs again."""

import hashlib
import json

from core.exceptions import Conflict
from jobs.models import Job


class IdempotencyKeyReused(Conflict):
    default_code = "idempotency_key_reused"


def request_digest(fingerprint: dict) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()


def replayed(*, owner, idempotency_key: str, digest: str) -> Job | None:
    """The job this key was first used for; a 409 when that was a different request."""
    job = Job.objects.filter(owner=owner, idempotency_key=idempotency_key).first()
    if job is not None and job.request_digest != digest:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different request; use a new key."
        )
    return job
