"""The suite runs every app's tests: a tests package left out of `testpaths` would pass unseen."""

import configparser
from pathlib import Path

from django.conf import settings


def test_every_tests_package_is_collected():
    root = Path(settings.BASE_DIR)
    config = configparser.ConfigParser()
    config.read(root / "pytest.ini")
    collected = set(config["pytest"]["testpaths"].split())

    packages = {path.parent.parent.name for path in root.glob("*/tests/__init__.py")}

    assert packages - collected == set()
