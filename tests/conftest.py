"""Hypothesis profiles.

Under CI (the ``CI`` environment variable, or another CI marker hypothesis knows) hypothesis
loads its built-in ``ci`` profile by itself: derandomized, no deadline, no example database.
We leave that profile alone. Locally we load ``dev``: the default number of examples, but
no deadline, because several people run suites on the same small machine at once and
timing is too noisy for a per-example deadline to mean anything.
``--hypothesis-profile NAME`` still picks any other profile (the plugin applies it later).
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("dev", deadline=None, print_blob=True)

# hypothesis has already loaded "ci" if it detected a CI run; anything other than its
# "default" means a profile was chosen on purpose, so only then do we step in.
if "CI" not in os.environ and getattr(settings, "_current_profile", "default") == "default":
    settings.load_profile("dev")

# Headless Chromium for the page tests (tests/browser.py): `browser` and `page` fixtures.
from browser import browser, page  # noqa: E402, F401

# A running `micrograd serve` and an API client (tests/explorer.py): `explorer` and `client` fixtures.
from explorer import client, explorer  # noqa: E402, F401


@pytest.fixture
def unwritable_folder(tmp_path):
    """A folder in which this process cannot create files (root ignores permission bits, so
    as root a folder of the kernel's that refuses everyone)."""
    from micrograd._atomic import check_writable

    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
        yield str(folder)
        folder.chmod(0o700)
        return
    for folder in ("/sys", "/proc"):
        try:
            check_writable(os.path.join(folder, "probe"))
        except OSError:
            yield folder
            return
    pytest.skip("no folder here refuses root")
