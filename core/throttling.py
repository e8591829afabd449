"""Throttles, counted in the shared cache (Redis when configured): sign-in attempts per
address and per username, and AI actions per user. Over the rate: 429 with Retry-After.
With the cache down, sign-ins are refused (503) and AI actions let through uncounted.

Rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope], read when checked.
"""

import functools
import hashlib
import logging
import math

from django.http import JsonResponse
from rest_framework import permissions, throttling
from rest_framework.settings import api_settings

from core.exceptions import CACHE_DOWN, CacheUnavailable

logger = logging.getLogger(__name__)


class _SettingsRate:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class LoginRateThrottle(_SettingsRate, throttling.SimpleRateThrottle):
    """Sign-in attempts from one address."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameRateThrottle(_SettingsRate, throttling.SimpleRateThrottle):
    """Sign-in attempts for one username, from anywhere."""

    scope = "login_username"

    def get_cache_key(self, request, view):
        data = getattr(request, "data", None) or request.POST
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username:
            return None
        ident = hashlib.sha256(username.casefold().encode(errors="replace")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AIActionRateThrottle(_SettingsRate, throttling.UserRateThrottle):
    """AI actions of one user (reads of the same endpoints are not counted)."""

    scope = "ai"

    def allow_request(self, request, view):
        """Counted when the cache answers; when it is down (Redis is often the broker too) the
        action is let through, so the work is still accepted and runs from its job row."""
        if request.method in permissions.SAFE_METHODS:
            return True
        try:
            return super().allow_request(request, view)
        except CACHE_DOWN as exc:
            logger.warning("AI action not counted, the cache is unavailable: %s", exc)
            return True


def login_throttled(view):
    """The same sign-in throttles for Django's own login views (browsable API, admin)."""

    @functools.wraps(view)
    def throttled(request, *args, **kwargs):
        if request.method == "POST":
            for throttle in (LoginRateThrottle(), LoginUsernameRateThrottle()):
                try:
                    allowed = throttle.allow_request(request, None)
                except CACHE_DOWN as exc:  # sign-ins stay counted: refused until the cache is back
                    logger.warning("Sign-in refused, the cache is unavailable: %s", exc)
                    unavailable = CacheUnavailable()
                    response = JsonResponse(
                        {"detail": str(unavailable.detail)}, status=unavailable.status_code
                    )
                    response["Retry-After"] = str(unavailable.wait)
                    return response
                if not allowed:
                    wait = math.ceil(throttle.wait() or 1)
                    response = JsonResponse(
                        {"detail": f"Too many sign-in attempts; try again in {wait} seconds."}, status=429
                    )
                    response["Retry-After"] = str(wait)
                    return response
        return view(request, *args, **kwargs)

    return throttled
