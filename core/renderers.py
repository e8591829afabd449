import orjson
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework import renderers


class JSONRenderer(ORJSONRenderer):
    """JSON through orjson; what orjson cannot write (an integer beyond 64 bits, which a JSON
    field may hold) goes through DRF's own renderer instead of failing."""

    def render(self, data, media_type=None, renderer_context=None):
        try:
            return super().render(data, media_type, renderer_context)
        except orjson.JSONEncodeError:
            return renderers.JSONRenderer().render(data, media_type, renderer_context)


class MarkdownRenderer(renderers.BaseRenderer):
    """A document as Markdown: the response's `markdown` (its other keys are for JSON)."""

    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "markdown" in data:
            return data["markdown"].encode(self.charset)
        return str(data.get("detail", data) if isinstance(data, dict) else data).encode(self.charset)
