"""Project-wide pytest configuration that is not specific to any app.

App fixtures live in tests/conftest.py and in each app's tests.
"""

import os

# Browser tests drive Debian's chromium through Playwright (never a downloaded
# browser build). bin/test and .ci/run set this too; plain `pytest` gets the
# same default here.
os.environ.setdefault("SHOUKONG_CHROMIUM", "/usr/bin/chromium")

# Shared fixtures (library, departments, role_groups, controller, staff_user,
# procedure) for app tests and the cross-app tests alike.
pytest_plugins = ["documents.tests.fixtures"]
