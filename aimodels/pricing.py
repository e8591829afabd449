"""What a model call cost, in US dollars, and where the price came from.

An AIModel's own prices (per million tokens, set in admin or the API) come first; a model
served from this machine or a private network costs 0; otherwise the price is genai-prices'
(the data that ships with the pinned package: nothing is downloaded at run time). A model
genai-prices does not know has no cost (None, "unknown").
"""

import importlib
import importlib.metadata
from decimal import Decimal

from aimodels.models import AIModel
from core.outbound import is_local

MILLION = Decimal(1_000_000)
# genai-prices' provider ids for ours; an OpenAI-compatible server is priced as its model's maker.
PROVIDER_IDS = {AIModel.Provider.OPENAI: "openai", AIModel.Provider.ANTHROPIC: "anthropic"}


def cost_of(ai_model: AIModel, usage: dict, *, answered_by: str = "") -> tuple[Decimal | None, str]:
    """`(cost, price_source)` of a call whose normalised `usage` (see `Completion.usage`)
    `answered_by` (the model the provider named, else the configured one) produced. Token
    counts the provider did not report make the cost unknown, not 0 (but a local model's)."""
    counted = usage.get("input_tokens") is not None and usage.get("output_tokens") is not None
    overridden = ai_model.price_input_per_mtok is not None or ai_model.price_output_per_mtok is not None
    if overridden and counted:
        return _overridden(ai_model, usage), "override"
    if not overridden and _served_locally(ai_model):
        return Decimal(0), "local"
    if not counted:
        return None, "unknown (no token counts)"
    genai_prices = importlib.import_module("genai_prices")  # on first use: its data is large
    tokens = genai_prices.Usage(
        input_tokens=usage.get("input_tokens", 0),
        cache_read_tokens=usage.get("cached_input_tokens") or 0,
        cache_write_tokens=usage.get("cache_write_tokens") or 0,
        output_tokens=usage.get("output_tokens", 0),
    )
    try:
        price = genai_prices.calc_price(
            tokens, model_ref=answered_by or ai_model.model, provider_id=PROVIDER_IDS.get(ai_model.provider)
        )
    except LookupError:
        return None, "unknown"
    version = importlib.metadata.version("genai-prices")
    return Decimal(price.total_price), f"genai-prices {version}"


def _served_locally(ai_model: AIModel) -> bool:
    return (
        ai_model.provider == AIModel.Provider.OPENAI_COMPATIBLE
        and bool(ai_model.base_url)
        and is_local(ai_model.base_url)
    )


def _overridden(ai_model: AIModel, usage: dict) -> Decimal:
    input_price = ai_model.price_input_per_mtok or Decimal(0)
    cached_price = ai_model.price_cached_input_per_mtok
    cached_price = input_price if cached_price is None else cached_price
    output_price = ai_model.price_output_per_mtok or Decimal(0)
    cached = usage.get("cached_input_tokens") or 0
    fresh = usage["input_tokens"] - cached
    return (
        fresh * input_price + cached * cached_price + usage.get("output_tokens", 0) * output_price
    ) / MILLION
