import contextlib

import pytest

# The real-browser fixtures, for every browser test of this directory; with no Chromium here
# (outside CI) those tests skip themselves.
with contextlib.suppress(pytest.skip.Exception):
    from orchestrator.tests.test_browser import browser, page, signed_in  # noqa: F401
