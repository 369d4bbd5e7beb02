"""The demo hub, started from its own rendered values on a free port (`nox -s tests`).

An example for every hub folder: `hubs/<hub>/tests/test_*.py` get the hubfleet
pytest plugin's fixtures; `local_hub()` here means this hub.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_a_user_server_runs_code_and_sees_the_hub_env(local_hub, rendered_values):
    hub = local_hub()
    user = hub.create_user()
    hub.start_server(user)
    assert hub.run_code(user, "1+1") == "2"  # each call starts a fresh kernel
    greeting = rendered_values("demo")["singleuser"]["extraEnv"]["DEMO_GREETING"]
    assert hub.run_code(user, "import os; os.environ['DEMO_GREETING']") == repr(greeting)
    # From the fleet layer's extraConfig (hub facts filled in at render time).
    assert hub.run_code(user, "import os; os.environ['HUBFLEET_HUB']") == "'demo'"
    hub.stop_server(user)
    hub.delete_user(user)


def test_admins_from_values_exist(local_hub):
    admin = local_hub().api.get("hub/api/users/admin")
    assert admin.status_code == 200 and admin.json()["admin"] is True
