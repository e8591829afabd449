import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
CLEAN_ENV = {
    key: value
    for key, value in os.environ.items()
    if key
    not in {
        "DEBUG",
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "DATABASE_URL",
        "DATABASE_POOL",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
}


def settings_in_subprocess(expression: str, **env: str) -> subprocess.CompletedProcess:
    """Import the settings with exactly `env` on top of a clean environment."""
    code = f"import orchestrator.settings as s; print(repr(({expression})))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**CLEAN_ENV, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_value(expression: str, **env: str) -> str:
    """The repr of `expression` once the settings are imported (they must be) with `env`."""
    result = settings_in_subprocess(expression, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_no_environment_gives_working_development_defaults():
    values = settings_value("s.DEBUG, s.DATABASES['default']['ENGINE'], bool(s.SECRET_KEY)")

    assert values == "(True, 'django.db.backends.sqlite3', True)"


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"FIELD_ENCRYPTION_KEYS": "k"}, "SECRET_KEY"),
        ({"SECRET_KEY": "s" * 50}, "FIELD_ENCRYPTION_KEYS"),
    ],
)
def test_production_secrets_are_required_when_debug_is_off(env, missing):
    result = settings_in_subprocess("s.DEBUG", DEBUG="false", **env)

    assert result.returncode != 0
    assert f"{missing} must be set in the environment when DEBUG is off" in result.stderr


def test_postgres_url_honours_sslmode_and_pool_switch():
    options = settings_value(
        "s.DATABASES['default']['OPTIONS']",
        DATABASE_URL="postgres://app@db.example.com:5432/orchestrator?sslmode=require",
        DATABASE_POOL="true",
        DATABASE_POOL_MAX_SIZE="20",
    )

    assert options == "{'sslmode': 'require', 'pool': {'min_size': 2, 'max_size': 20, 'timeout': 10.0}}"


def test_sqlite_waits_for_its_write_lock():
    assert settings_value("s.DATABASES['default']['OPTIONS']['transaction_mode']") == "'IMMEDIATE'"


@pytest.mark.parametrize(
    ("env", "options_and_health_checks"),
    [
        ({}, "({'pool': {'min_size': 2, 'max_size': 10, 'timeout': 10.0}}, False)"),
        ({"DATABASE_POOL": "false"}, "(None, True)"),
    ],
    ids=["pools by default without a health check round trip", "the pool is off by setting"],
)
def test_postgres_pools_unless_told_not_to(env, options_and_health_checks):
    values = settings_value(
        "s.DATABASES['default'].get('OPTIONS'), s.DATABASES['default']['CONN_HEALTH_CHECKS']",
        DATABASE_URL="postgres://app@db.example.com:5432/orchestrator",
        **env,
    )

    assert values == options_and_health_checks


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({}, "django.core.cache.backends.locmem.LocMemCache"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/1"}, "django.core.cache.backends.redis.RedisCache"),
        ({"CACHE_URL": "redis://127.0.0.1:6379/2"}, "django.core.cache.backends.redis.RedisCache"),
    ],
)
def test_the_throttle_cache_follows_the_environment(env, backend):
    assert settings_value("s.CACHES['default']['BACKEND']", **env) == repr(backend)


def test_a_malformed_encryption_key_is_a_one_line_error():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env={**CLEAN_ENV, "FIELD_ENCRYPTION_KEYS": f"{'A' * 43}=,not-a-key"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Configuration error: FIELD_ENCRYPTION_KEYS: key 2 is not a Fernet key (32 url-safe base64-encoded "
        "bytes); make one with: python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'"
    ]


def test_retention_is_days_forever_when_empty_and_a_default_when_unset():
    names = "s.RETAIN_JOB_EVENTS_DAYS, s.RETAIN_MODEL_CALL_PAYLOADS_DAYS, s.RETAIN_WEBHOOK_DELIVERIES_DAYS"
    expression = f"{names}, s.RETAIN_ACTIVITY_DAYS"

    unset = settings_in_subprocess(expression)
    empty = settings_in_subprocess(
        expression,
        RETAIN_JOB_EVENTS_DAYS="",
        RETAIN_MODEL_CALL_PAYLOADS_DAYS="",
        RETAIN_WEBHOOK_DELIVERIES_DAYS="",
        RETAIN_ACTIVITY_DAYS="365",
    )

    assert unset.stdout.strip() == "(30, 90, 30, None)", unset.stderr
    assert empty.stdout.strip() == "(None, None, None, 365)", empty.stderr
