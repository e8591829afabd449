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
