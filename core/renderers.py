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
