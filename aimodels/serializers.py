from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers

from aimodels.gateway import resolve_ai_model
from aimodels.models import AIModel, AIModelFallback, SystemSettings
from aimodels.registry import validate_setting_key, validate_setting_value


class AIModelSerializer(serializers.ModelSerializer):
    """`api_key` is write-only: responses carry only `api_key_hint` and `has_api_key`.

    On update an omitted `api_key` keeps the stored key and an empty one removes it.
    """

    api_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=True,
        label="API key",
        style={"input_type": "password", "template": "aimodels/secret_input.html"},
    )
    api_key_hint = serializers.CharField(read_only=True, allow_null=True)
    has_api_key = serializers.BooleanField(read_only=True)
    fallbacks = serializers.PrimaryKeyRelatedField(
        queryset=AIModel.objects.all(),
        many=True,
        required=False,
        help_text="Models that answer in this order when this one times out, cannot be reached, "
        "or answers 429 or 5xx after its retries. A write replaces the list.",
    )

    class Meta:
        model = AIModel
        fields = [
            "id",
            "name",
            "provider",
            "model",
            "base_url",
            "api_key",
            "api_key_hint",
            "has_api_key",
            "usage_type",
            "is_active",
            "config",
            *AIModel.PRICES,
            "fallbacks",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["fallbacks"] = [link.fallback_id for link in instance.fallback_links.all()]
        return data

    def validate_fallbacks(self, fallbacks):
        if len(set(fallbacks)) != len(fallbacks):
            raise serializers.ValidationError("Each fallback once.")
        if self.instance is not None and self.instance in fallbacks:
            raise serializers.ValidationError("A model cannot be its own fallback.")
        return fallbacks

    @transaction.atomic
    def create(self, validated_data):
        fallbacks = validated_data.pop("fallbacks", None)
        ai_model = super().create(validated_data)
        if fallbacks is not None:
            _set_fallbacks(ai_model, fallbacks)
        return ai_model

    @transaction.atomic
    def update(self, instance, validated_data):
        fallbacks = validated_data.pop("fallbacks", None)
        ai_model = super().update(instance, validated_data)
        if fallbacks is not None:
            _set_fallbacks(ai_model, fallbacks)
        return ai_model


def _set_fallbacks(ai_model: AIModel, fallbacks: list[AIModel]) -> None:
    AIModelFallback.objects.filter(ai_model=ai_model).delete()
    AIModelFallback.objects.bulk_create(
        AIModelFallback(ai_model=ai_model, fallback=fallback, position=position)
        for position, fallback in enumerate(fallbacks)
    )


def _known_key(key: str) -> str:
    try:
        validate_setting_key(key)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None
    return key


class SystemSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = SystemSettings
        fields = ["key", "value", "description", "updated_at"]
        extra_kwargs = {"value": {"required": True}}  # any JSON, null included, but present

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["key"].read_only = True
        return fields

    def validate_key(self, key):
        return _known_key(key)

    def validate(self, attrs):
        key = attrs.get("key", getattr(self.instance, "key", None))
        try:
            validate_setting_value(key, attrs.get("value", getattr(self.instance, "value", None)))
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"value": exc.messages}) from None
        return attrs


class SettingItemSerializer(serializers.Serializer):
    """One item of a bulk update: the key need not exist yet."""

    key = serializers.CharField(max_length=100, validators=[_known_key])
    value = serializers.JSONField()
    description = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        try:
            validate_setting_value(attrs["key"], attrs["value"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"value": exc.messages}) from None
        return attrs


class SettingsBulkSerializer(serializers.Serializer):
    settings = SettingItemSerializer(many=True, allow_empty=False)

    def validate_settings(self, items):
        keys = [item["key"] for item in items]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise serializers.ValidationError(f"Each key may appear once; repeated: {', '.join(duplicates)}.")
        return items

    @transaction.atomic
    def save(self):
        stored = []
        for item in self.validated_data["settings"]:
            defaults = {"value": item["value"]}
            if "description" in item:
                defaults["description"] = item["description"]
            setting, _ = SystemSettings.objects.update_or_create(key=item["key"], defaults=defaults)
            stored.append(setting)
        return stored


class ActiveAIModelField(serializers.PrimaryKeyRelatedField):
    """An explicit model choice for an AI action: must exist and be active."""

    default_error_messages = {"inactive": "AI model '{name}' is not active."}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", AIModel.objects.all())
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", "Id of the AI model to use; by default the active model for this action."
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        ai_model = super().to_internal_value(data)
        if not ai_model.is_active:
            self.fail("inactive", name=ai_model.name)
        return ai_model


class AIActionSerializer(serializers.Serializer):
    """The body every AI action accepts: an optional explicit model."""

    ai_model = ActiveAIModelField()

    def chosen_ai_model(self, usage_type: str) -> AIModel:
        """The model named in the body, else the one routing picks for `usage_type`."""
        return resolve_ai_model(usage_type=usage_type, requested=self.validated_data.get("ai_model"))


class AIUsageSerializer(serializers.Serializer):
    """A row's AI usage totals (see `jobs.totals`): the sums of what is known, with the count
    of calls whose values are not, so that a partial sum never reads as a whole one."""

    calls = serializers.IntegerField(help_text="Model calls, failed ones included.")
    failed_calls = serializers.IntegerField(
        help_text="Calls that failed (a retry or a fallback may have answered)."
    )
    input_tokens = serializers.IntegerField(
        allow_null=True, help_text="Of the calls that reported them; null when none did."
    )
    output_tokens = serializers.IntegerField(
        allow_null=True, help_text="Of the calls that reported them; null when none did."
    )
    unknown_token_calls = serializers.IntegerField(
        help_text="Calls that answered without token counts: not in input_tokens and output_tokens."
    )
    cost = serializers.DecimalField(
        max_digits=16,
        decimal_places=8,
        allow_null=True,
        help_text="US dollars: the costs known; null when no call that answered has one.",
    )
    unknown_cost_calls = serializers.IntegerField(
        help_text="Calls that answered with no known cost (no price, or no token counts): not in cost."
    )
