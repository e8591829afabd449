"""Django as in production, for a benchmark: imported first by each script, which calls
`setup()` before importing anything of Django's or the project's.

    import production
    production.setup()
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What a benchmark's process (or the server it starts) runs with: DEBUG off (no query log), no
# TLS redirect (no TLS here), throwaway keys.
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "orchestrator.settings",
    "DEBUG": "false",
    "SECRET_KEY": "benchmark-only",
    "SECURE_SSL_REDIRECT": "false",
    "FIELD_ENCRYPTION_KEYS": "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=",
}


def setup(**environment: str) -> None:
    """Django set up in this process with PRODUCTION (where the environment does not say
    otherwise) and `environment` (whatever it says)."""
    sys.path.insert(0, str(ROOT))
    for name, value in PRODUCTION.items():
        os.environ.setdefault(name, value)
    os.environ.update(environment)
    import django

    django.setup()
