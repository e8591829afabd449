"""Model calls inside a job: a job kind registered with `ai_job_kind` receives an `AIJobRun`,
whose `complete()` calls the job's model (then its fallbacks), streams its text into the
job's events, and records every attempt as a ModelCall with its tokens, latency and cost."""

import functools
from decimal import Decimal

from django.db import transaction

from aimodels import gateway, pricing
from aimodels.gateway import AIProviderError, AIProviderTimeout
from aimodels.signals import model_call_recorded
from core.exceptions import error_code, one_line
from jobs.models import Job, JobEvent, ModelCall
from jobs.services import JobRun, job_kind
from jobs.totals import TOKEN_COUNTS, known_total

# The token counts a job's usage sums: ModelCall's, and the total the provider gave.
SUMMED_TOKENS = (*TOKEN_COUNTS, "total_tokens")
# The counts of calls a job's usage keeps (see jobs.totals).
CALL_COUNTS = ("calls", "failed_calls", "unknown_token_calls", "unknown_cost_calls")


class AIJobRun(JobRun):
    def __init__(self, job: Job):
        super().__init__(job)
        self.answered_by = job.ai_model  # the model that answered the last call
        self.known_cost = job.cost or Decimal(0)  # the costs known of its calls so far

    def complete(self, ai_model, **options) -> gateway.Completion:
        """One model call (see `gateway.complete`), its text streamed into `token` events.

        When `ai_model` times out, cannot be reached, or answers 429 or 5xx after its
        retries, its fallbacks answer in turn. A `status` event says so (`fallback`), as it
        says each retry (`retry`): the text streamed before it is not the answer. Every
        attempt is recorded as a ModelCall; the job's `usage` and `cost` add them up (see
        `jobs.totals`), and `answered_by` is the model that answered.
        """
        chain = ai_model.fallback_chain()
        for position, model in enumerate(chain):
            try:
                completion = gateway.complete(
                    model, on_token=self.token, on_failed_attempt=self._retried(model), **options
                )
            except (AIProviderError, AIProviderTimeout) as exc:
                self.flush_tokens()
                self._record_failure(model, exc)
                if position + 1 == len(chain) or not exc.temporary:
                    raise
                self.event(
                    JobEvent.Type.STATUS,
                    status=Job.Status.RUNNING,
                    fallback={"from": model.name, "to": chain[position + 1].name, "error": error_code(exc)},
                )
                continue
            self.flush_tokens()
            self._record_success(model, completion)
            self.answered_by = model
            return completion
        raise AssertionError("unreachable: a chain has at least its own model")

    def _retried(self, ai_model):
        """Each attempt of a model's call that failed and was tried again is a call too."""

        def record(error, latency_ms: int) -> None:
            self.flush_tokens()
            self._record_failure(ai_model, error, latency_ms=latency_ms)
            # What it streamed is not the answer: the next attempt starts it again.
            retry = {"ai_model": ai_model.name, "error": error_code(error)}
            self.event(JobEvent.Type.STATUS, status=Job.Status.RUNNING, retry=retry)

        return record

    def complete_checked(
        self,
        ai_model,
        *,
        messages: list[dict],
        check,
        goal: str = "give a usable answer",
        resend=lambda reason: reason,
        **options,
    ) -> gateway.Completion:
        """A call whose answer `check(completion)` may refuse with a reason: `resend(reason)`
        goes back to the model once, and a second refusal fails the job (ai_provider_error:
        the model did not `goal` in two tries, and why). Degenerate answers (empty, an echo,
        no question, a commit that is not one) thus never pass for success."""
        messages = list(messages)
        for _attempt in range(2):
            completion = self.complete(ai_model, messages=messages, **options)
            reason = check(completion)
            if reason is None:
                return completion
            messages += [
                {"role": "assistant", "content": completion.text},
                {"role": "user", "content": resend(reason)},
            ]
        raise AIProviderError(f"AI model '{ai_model.name}' did not {goal} in two tries: {reason}")

    @transaction.atomic
    def _record_success(self, ai_model, completion: gateway.Completion) -> None:
        cost, source = pricing.cost_of(ai_model, completion.usage, answered_by=completion.model)
        call = self._record(
            ai_model,
            model=completion.model or ai_model.model,
            raw_usage=completion.raw_usage,
            latency_ms=completion.latency_ms,
            finish_reason=completion.finish_reason,
            cost=cost,
            price_source=source,
            # a count the provider did not report is unknown (null), not a measured zero
            **{name: completion.usage.get(name) for name in TOKEN_COUNTS},
        )
        self._count_call(call, tokens=completion.usage)

    @transaction.atomic
    def _record_failure(self, ai_model, exc, *, latency_ms: int | None = None) -> None:
        call = self._record(
            ai_model,
            error={"code": error_code(exc), "detail": one_line(exc.detail)},
            latency_ms=latency_ms if latency_ms is not None else getattr(exc, "latency_ms", 0),
        )
        self._count_call(call)

    def _record(self, ai_model, **fields) -> ModelCall:
        fields.setdefault("model", ai_model.model)
        return ModelCall.objects.create(
            job_id=self.job.pk,
            project_id=self.job.project_id,
            ai_model=ai_model,
            provider=ai_model.provider,
            **fields,
        )

    def _count_call(self, call: ModelCall, *, tokens: dict | None = None) -> None:
        """Every call counts, a failed one too, in the job's usage and cost as in every total
        kept of it, by the rule of `jobs.totals`; `tokens`: the counts of a call that answered."""
        usage = {**dict.fromkeys(CALL_COUNTS, 0), **self.usage}
        usage["calls"] += 1
        usage["failed_calls"] += int(call.failed)
        usage["unknown_token_calls"] += int(not call.failed and not call.tokens_known)
        usage["unknown_cost_calls"] += int(not call.failed and call.cost is None)
        counted = (tokens or {}) if call.tokens_known else {}
        for name in SUMMED_TOKENS:
            usage[name] = (usage.get(name) or 0) + (counted.get(name) or 0)
        self.known_cost += call.cost or Decimal(0)
        answered = usage["calls"] - usage["failed_calls"]
        for name in SUMMED_TOKENS:
            usage[name] = known_total(usage[name], answered=answered, unknown=usage["unknown_token_calls"])
        self.usage = usage
        cost = known_total(self.known_cost, answered=answered, unknown=usage["unknown_cost_calls"])
        Job.objects.filter(pk=self.job.pk).update(usage=usage, cost=cost)
        model_call_recorded.send(sender=ModelCall, job=self.job, call=call)


# The registration of a job kind whose handler calls models (see `jobs.services.job_kind`).
ai_job_kind = functools.partial(job_kind, run_class=AIJobRun)
