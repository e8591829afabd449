from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from aimodels.registry import known_setting, validate_setting_key, validate_setting_value
from aimodels.validators import validate_ai_config
from core import crypto
from core.context import request_memo
from core.fields import EncryptedTextField
from core.history import Recorded
from core.models import KeptColumns, TimeStampedModel, UUIDModel, choices_constraint
from core.outbound import validate_outbound_url
from jobs.totals import known_total


class AIModelQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class AIModelJob(models.TextChoices):
    """The kinds of job of this app (aimodels.jobs)."""

    AI_MODEL_TEST = "ai_model_test", "Model test"


class AIProvider(models.TextChoices):
    OPENAI = "openai", "OpenAI"
    ANTHROPIC = "anthropic", "Anthropic"
    OPENAI_COMPATIBLE = "openai_compatible", "OpenAI-compatible"


class AIUsageType(models.TextChoices):
    INTERVIEW = "interview", "Interview"
    PROMPT_GENERATION = "prompt_generation", "Prompt generation"
    COMMIT_GENERATION = "commit_generation", "Commit generation"
    TASK_EXECUTION = "task_execution", "Task execution"
    TASK_PLANNING = "task_planning", "Task planning"
    GENERAL = "general", "General"


def _price_per_mtok(what: str, help_text: str = "") -> models.DecimalField:
    """An optional US-dollar price per million tokens, never negative."""
    return models.DecimalField(
        f"{what} price per million tokens",
        max_digits=12,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=help_text,
    )


class AIModel(Recorded, TimeStampedModel):
    """A configured AI model: which provider, which model, with which key."""

    activity_secrets = ("api_key",)
    PRICES = ("price_input_per_mtok", "price_cached_input_per_mtok", "price_output_per_mtok")

    Provider = AIProvider
    UsageType = AIUsageType

    name = models.CharField(max_length=100, unique=True)
    provider = models.CharField(max_length=32, choices=Provider.choices, db_index=True)
    model = models.CharField(max_length=200, help_text="The provider's model id, e.g. gpt-4o-mini.")
    base_url = models.URLField(
        "Base URL",
        max_length=500,
        blank=True,
        validators=[validate_outbound_url],
        help_text="Server address; empty means the provider's default.",
    )
    api_key = EncryptedTextField("API key", blank=True)
    usage_type = models.CharField(
        max_length=32, choices=UsageType.choices, default=UsageType.GENERAL, db_index=True
    )
    is_active = models.BooleanField(default=True, db_index=True)
    config = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_ai_config],
        help_text="temperature, top_p, max_tokens, timeout (seconds), max_retries, system_prompt.",
    )
    # Prices per million tokens, overriding genai-prices' (0 for a model that costs nothing).
    price_input_per_mtok = _price_per_mtok(
        "input", "Overrides the published price; empty: genai-prices' price for this model."
    )
    price_cached_input_per_mtok = _price_per_mtok("cached input", "Empty: the input price.")
    price_output_per_mtok = _price_per_mtok("output")

    objects = AIModelQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "AI model"
        constraints = [
            choices_constraint(field="provider", choices=AIProvider, name="aimodel_provider_valid"),
            choices_constraint(field="usage_type", choices=AIUsageType, name="aimodel_usage_type_valid"),
            models.CheckConstraint(condition=~models.Q(name=""), name="aimodel_name_not_blank"),
        ]

    def __str__(self):
        return f"{self.name} ({self.provider}: {self.model})"

    def __repr__(self):
        return f"<AIModel {self.id} {self.name!r} provider={self.provider!r} model={self.model!r}>"

    def fallback_chain(self) -> list["AIModel"]:
        """This model, then its active fallbacks in order (a fallback's own are not followed)."""
        links = self.fallback_links.select_related("fallback").filter(fallback__is_active=True)
        return [self, *(link.fallback for link in links)]

    @property
    def api_key_hint(self) -> str | None:
        return crypto.mask_secret(self.api_key)

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key) or self.api_key_undecryptable

    @property
    def api_key_undecryptable(self) -> bool:
        return isinstance(self.api_key, crypto.UndecryptableSecret)


class AIModelFallback(models.Model):
    """`fallback` answers, in `position` order, when `ai_model` fails with a timeout, a
    connection error, a 429 or a 5xx after its retries."""

    ai_model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="fallback_links")
    fallback = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = "fallback"
        constraints = [
            models.UniqueConstraint(fields=["ai_model", "fallback"], name="aimodel_fallback_once"),
            models.CheckConstraint(
                condition=~models.Q(ai_model=models.F("fallback")), name="aimodel_not_own_fallback"
            ),
        ]

    def __str__(self):
        return f"{self.position}: {self.fallback_id}"


class SystemSettingsQuerySet(models.QuerySet):
    def value_of(self, key: str) -> Any:
        """The stored value of `key`, else the registered default, else None; read once per
        request."""
        memo = request_memo()
        if memo is not None and ("setting", key) in memo:
            return memo["setting", key]
        stored = self.filter(key=key).values_list("value", flat=True).first()
        setting = known_setting(key)
        value = stored if stored is not None else (setting.default if setting else None)
        if memo is not None:
            memo["setting", key] = value
        return value


class SystemSettings(Recorded, UUIDModel):
    """One key/value pair of system-wide configuration; known keys are validated."""

    key = models.CharField(max_length=100, unique=True)
    value = models.JSONField(blank=True)
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SystemSettingsQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        verbose_name = "system setting"
        verbose_name_plural = "system settings"
        constraints = [
            models.CheckConstraint(condition=~models.Q(key=""), name="systemsettings_key_not_blank"),
        ]

    def __str__(self):
        return self.key

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if (memo := request_memo()) is not None:
            memo.pop(("setting", self.key), None)  # later reads in this request see the change

    def clean(self):
        try:
            validate_setting_key(self.key)
        except ValidationError as exc:
            raise ValidationError({"key": exc.messages}) from None
        try:
            validate_setting_value(self.key, self.value)
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from None


class AIUsageTotals(KeptColumns):
    """What the AI work done for this row (its jobs' model calls, failed ones included) used
    and cost, in total, by the rule of `jobs.totals`. The app owning the row adds each call
    (`add_ai_call`, on `model_call_recorded`) in the transaction that records it, so a list
    reads these columns instead of summing every call of its page."""

    # Zero by default in the database too, for rows written by raw SQL.
    ai_calls = models.PositiveIntegerField("AI calls", default=0, db_default=0, editable=False)
    ai_failed_calls = models.PositiveIntegerField("failed AI calls", default=0, db_default=0, editable=False)
    ai_unknown_token_calls = models.PositiveIntegerField(
        "AI calls without token counts",
        default=0,
        db_default=0,
        editable=False,
        help_text="Calls that answered but whose provider reported no token counts.",
    )
    ai_unknown_cost_calls = models.PositiveIntegerField(
        "AI calls without a cost",
        default=0,
        db_default=0,
        editable=False,
        help_text="Calls that answered but whose cost is unknown (no price, or no token counts).",
    )
    ai_input_tokens = models.PositiveBigIntegerField(
        "AI input tokens",
        default=0,
        db_default=0,
        editable=False,
        help_text="Of the calls that reported them.",
    )
    ai_output_tokens = models.PositiveBigIntegerField(
        "AI output tokens",
        default=0,
        db_default=0,
        editable=False,
        help_text="Of the calls that reported them.",
    )
    ai_cost = models.DecimalField(
        "AI cost",
        max_digits=20,
        decimal_places=8,
        default=0,
        db_default=0,
        editable=False,
        help_text="US dollars: the costs known.",
    )

    AI_USAGE = (
        "ai_calls",
        "ai_failed_calls",
        "ai_unknown_token_calls",
        "ai_unknown_cost_calls",
        "ai_input_tokens",
        "ai_output_tokens",
        "ai_cost",
    )
    kept_columns = AI_USAGE

    class Meta:
        abstract = True

    @property
    def ai_usage(self) -> dict:
        return ai_usage_of({name: getattr(self, name) for name in self.AI_USAGE})

    @classmethod
    def add_ai_call(cls, pk, call) -> None:
        """One more model call (a ModelCall, a failed one too) for row `pk`, added in place:
        concurrent jobs of one row never lose each other's."""
        answered, counted = not call.failed, call.tokens_known
        cls.objects.filter(pk=pk).update(
            ai_calls=models.F("ai_calls") + 1,
            ai_failed_calls=models.F("ai_failed_calls") + int(call.failed),
            ai_unknown_token_calls=models.F("ai_unknown_token_calls") + int(answered and not counted),
            ai_unknown_cost_calls=models.F("ai_unknown_cost_calls") + int(answered and call.cost is None),
            ai_input_tokens=models.F("ai_input_tokens") + (call.input_tokens if counted else 0),
            ai_output_tokens=models.F("ai_output_tokens") + (call.output_tokens if counted else 0),
            ai_cost=models.F("ai_cost") + (call.cost or 0),
        )


def ai_usage_of(row) -> dict:
    """`{"calls", "failed_calls", "input_tokens", "output_tokens", "unknown_token_calls",
    "cost", "unknown_cost_calls"}` of a row's AIUsageTotals columns (a model's, or a dict
    from `values()`), as the API writes it: a sum none of whose values is known is null."""
    answered = row["ai_calls"] - row["ai_failed_calls"]
    tokens, cost = row["ai_unknown_token_calls"], row["ai_unknown_cost_calls"]
    total_cost = known_total(row["ai_cost"], answered=answered, unknown=cost)
    return {
        "calls": row["ai_calls"],
        "failed_calls": row["ai_failed_calls"],
        "input_tokens": known_total(row["ai_input_tokens"], answered=answered, unknown=tokens),
        "output_tokens": known_total(row["ai_output_tokens"], answered=answered, unknown=tokens),
        "unknown_token_calls": tokens,
        "cost": None if total_cost is None else f"{total_cost:.8f}",
        "unknown_cost_calls": cost,
    }
