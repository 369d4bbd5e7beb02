"""Relevant pytest fixtures are re-used from JupyterHub's test suite"""

# hubfleet port (batchspawner 1.3.0's batchspawner/tests/conftest.py): `db` now comes from
# hubfleet's plugin, and `event_loop` (gone from JupyterHub 6's conftest and from
# pytest-asyncio 1.0) from hubfleet's compatibility module; these imports are all that changed.
from hubfleet.testing.compat import event_loop  # noqa
