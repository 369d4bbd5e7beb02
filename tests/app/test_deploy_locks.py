"""Issue 22 item 3: a release lock folder planted by another local user never makes a deploy
(run as root) write through it: the deploy refuses in one line and the target is untouched."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from helpers.standin import records
from hubfleet.adapters import locks
from hubfleet.adapters.source import DirSource
from hubfleet.app import deploy
from hubfleet.app.load import load_fleet
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import deploy as deploy_cmd

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown)")]


def test_a_planted_lock_folder_stops_the_deploy_and_writes_nothing(deploy_env, tmp_path, capsys):
    target = tmp_path / "root-only.conf"
    target.write_text("keep me\n")
    target.chmod(0o600)
    folder = Path(tempfile.gettempdir()) / f"hubfleet-locks-{os.geteuid()}"
    with locks.release_lock("k1", "alpha", "alpha"):  # learn the holder's name, then plant
        [lock] = folder.glob("release-*.lock")
    for p in folder.iterdir():
        p.unlink()
    lock.with_suffix(".holder").symlink_to(target)
    os.chown(folder, 65534, 65534)

    result = deploy.deploy_hub(deploy_env.root, load_fleet(DirSource(deploy_env.root)), "alpha")
    assert not result.ok and "\n" not in result.message
    assert result.message.startswith(f"{folder}: belongs to uid 65534, not to you (uid 0)"), result.message
    assert boundary(deploy_cmd.run, hub="alpha", no_health=True) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err and "internal error" not in out.err
    assert target.read_text() == "keep me\n" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert records(deploy_env.log, "upgrade") == []  # helm never ran
