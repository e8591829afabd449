"""The provider SDKs (and Celery) are imported on first use, not when a process starts."""

import subprocess
import sys

LOADED = """
import sys, django
django.setup()
import orchestrator.urls  # every view, serializer and service
print(sorted(m for m in ("openai", "anthropic", "httpx2", "celery") if m in sys.modules))
"""


def test_a_process_starts_without_the_sdks():
    result = subprocess.run(
        [sys.executable, "-c", LOADED],
        env={"DJANGO_SETTINGS_MODULE": "orchestrator.settings", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr


def test_a_calls_latency_starts_after_the_sdk_is_imported(db, openai_server, monkeypatch):
    """The first call of a process imports its SDK (seconds, on a worker): not the call's time."""
    import importlib
    import time

    from aimodels import gateway
    from conftest import ai_model_on

    ai_model = ai_model_on(openai_server)
    openai_server.reply("ok")
    real_import, imported = importlib.import_module, []

    def first_import_takes_3_seconds(name, *args):
        if name == "openai" and not imported:
            imported.append(name)
            time.sleep(3)
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", first_import_takes_3_seconds)
    completion = gateway.complete(ai_model, messages=[{"role": "user", "content": "hi"}])

    assert imported == ["openai"] and completion.latency_ms < 2000
