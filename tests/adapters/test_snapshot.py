"""The walk-once Source answers exactly as DirSource does, and hands anything unusual to it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hubfleet.adapters.snapshot import Snapshot
from hubfleet.adapters.source import MAX_FILE_BYTES, DirSource
from hubfleet.core.errors import HubfleetError


def _tree(root: Path) -> Path:
    files = {
        "fleet.yaml": "charts: {}\n",
        "clusters/k1/cluster.yaml": "name: k1\n",
        "clusters/k1/common.values.yaml": "a: 1\n",
        "clusters/k1/support/ingress.values.yaml": "b: 2\n",
        "clusters/common.values.yaml": "c: 3\n",
        "hubs/alpha/hub.yaml": "name: alpha\n",
        "hubs/alpha/values.yaml": "d: 4\n",
        "hubs/alpha/tests/test_alpha.py": "x = 1\n",
        "hubs/alpha-b/hub.yaml": "name: alpha-b\n",
        "hubs/.template/hub.yaml": "name: tmpl\n",
        "README.md": "not walked\n",
        "docs/notes.md": "not walked either\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "hubs" / "empty").mkdir()
    return root


def _answer(fn, *args):
    """A source call's result, or its error's message (what a user would read)."""
    try:
        out = fn(*args)
        return list(out) if not isinstance(out, (bytes, type(None))) else out
    except HubfleetError as e:
        return f"error: {e}"


READS = [
    "fleet.yaml",
    "hubs/alpha/values.yaml",
    "hubs/alpha/secrets.yaml",  # absent
    "hubs/alpha",  # a folder
    "hubs/nope/hub.yaml",  # absent folder
    "fleet.yaml/x",  # below a file
    "hubs/alpha/../alpha-b/hub.yaml",  # `..`: DirSource decides
    "README.md",  # outside the walked folders
    "support/x.yaml",  # a walked folder that does not exist
]
LISTINGS = ["hubs", "clusters", "clusters/k1", "hubs/alpha", "hubs/empty", "hubs/nope", "fleet.yaml", "docs"]


def _same_answers(root: Path) -> Snapshot:
    snap, plain = Snapshot.take(root), DirSource(root)
    for path in READS + [p for p in _all_files(root)]:
        assert _answer(snap.read, path) == _answer(plain.read, path), path
    for path in LISTINGS:
        assert _answer(snap.subdirs, path) == _answer(plain.subdirs, path), path
        assert _answer(snap.hidden, path) == _answer(plain.hidden, path), path
        assert _answer(snap.files_under, path) == _answer(plain.files_under, path), path
    return snap


def _all_files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.is_symlink()
    )


def test_a_plain_tree_is_answered_from_memory_as_dirsource_answers(tmp_path):
    root = _tree(tmp_path)
    snap = Snapshot.take(root)
    assert snap.files["hubs/alpha/values.yaml"] == b"d: 4\n"
    assert "README.md" not in snap.files  # only the fleet's own folders are walked
    _same_answers(root)


def test_in_memory_answers_do_not_touch_dirsource(tmp_path):
    snap = Snapshot.take(_tree(tmp_path))
    for path in ["fleet.yaml", "hubs/alpha/values.yaml", "hubs/alpha/secrets.yaml", "hubs/nope/x"]:
        snap.read(path)
    snap.subdirs("hubs"), snap.hidden("clusters"), list(snap.files_under("hubs/alpha"))
    assert not snap.delegated and snap.digest is not None
    snap.read("README.md")  # outside the walk
    assert snap.delegated and snap.digest is None


def test_a_symlink_in_the_fleet_goes_to_dirsource(tmp_path):
    root = _tree(tmp_path / "fleet")
    outside = tmp_path / "secret.txt"
    outside.write_text("not the fleet's\n")
    os.symlink(outside, root / "hubs" / "alpha" / "values.yaml.link")
    os.symlink("../alpha/hub.yaml", root / "hubs" / "alpha-b" / "copy.yaml")  # inside: allowed
    os.symlink(root / "hubs" / "alpha", root / "hubs" / "gamma")  # a linked hub folder
    snap = _same_answers(root)
    with pytest.raises(HubfleetError, match="outside the fleet"):
        snap.read("hubs/alpha/values.yaml.link")
    assert snap.read("hubs/alpha-b/copy.yaml") == b"name: alpha\n"
    assert "gamma" in snap.subdirs("hubs")
    assert snap.digest is None  # a whole run over it is not reused


def test_special_and_oversized_files_get_dirsource_messages(tmp_path):
    root = _tree(tmp_path)
    os.mkfifo(root / "hubs" / "alpha" / "pipe.yaml")
    with open(root / "hubs" / "alpha" / "huge.yaml", "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    snap = Snapshot.take(root)
    for path in ("hubs/alpha/pipe.yaml", "hubs/alpha/huge.yaml"):
        assert _answer(snap.read, path) == _answer(DirSource(root).read, path)
        assert str(_answer(snap.read, path)).startswith("error:")
    assert _answer(snap.files_under, "hubs") == _answer(DirSource(root).files_under, "hubs")
    assert snap.digest is None


def test_the_digest_follows_every_byte_name_and_folder(tmp_path):
    root = _tree(tmp_path)
    first = Snapshot.take(root).digest
    assert first == Snapshot.take(root).digest
    (root / "hubs/alpha/values.yaml").write_text("d: 5\n")
    second = Snapshot.take(root).digest
    (root / "hubs" / "delta").mkdir()  # an empty folder is a hub folder without hub.yaml
    third = Snapshot.take(root).digest
    (root / "README.md").write_text("changed\n")  # not the fleet's input
    assert len({first, second, third}) == 3
    assert Snapshot.take(root).digest == third


def test_large_files_are_left_for_when_they_are_asked_for(tmp_path, monkeypatch):
    from hubfleet.adapters import snapshot

    monkeypatch.setattr(snapshot, "WALK_FILE_BYTES", 100)  # a hub folder's dataset, say
    root = _tree(tmp_path)
    big = root / "hubs" / "alpha" / "data.csv"
    big.write_text("x,y\n" * 100)
    snap = _same_answers(root)
    assert "hubs/alpha/data.csv" not in snap.files and "hubs/alpha/data.csv" in snap.unread
    snap = Snapshot.take(root)
    first = snap.digest
    assert first is not None  # not read, yet the run's identity holds it (size, time, inode)
    big.write_text("x,y\n" * 101)
    assert Snapshot.take(root).digest not in (None, first)
    assert snap.read("hubs/alpha/data.csv") == big.read_bytes()  # read when asked, by DirSource
    assert snap.delegated and snap.digest is None


def test_the_walk_stops_reading_past_its_budget(tmp_path, monkeypatch):
    from hubfleet.adapters import snapshot

    monkeypatch.setattr(snapshot, "WALK_TOTAL_BYTES", 30)
    root = _tree(tmp_path)
    snap = _same_answers(root)
    assert sum(map(len, snap.files.values())) <= 30 and snap.unread
    assert Snapshot.take(root).digest is not None


def test_validate_reuses_the_snapshots_file_digests_and_they_match_a_direct_read(tmp_path):
    """validate's per-file digests (render's record, its cache keys) come from the hashing the
    run key already did; they must equal what a direct read gives (render writes the record
    through DirSource), and must follow a changed byte."""
    from hubfleet.app.validate import FileDigests

    root = _tree(tmp_path)
    snap = Snapshot.take(root)
    assert snap.digest is not None  # the whole-run digest hashes every held file once
    held = sorted(snap.files)
    assert set(snap._file_digests) == set(held)
    via_snapshot, direct = FileDigests(snap), FileDigests(DirSource(root))
    for path in [*held, "hubs/alpha/absent.yaml"]:
        assert via_snapshot.of(path) == direct.of(path), path
    (root / "hubs/alpha/values.yaml").write_text("d: 5\n")
    changed = FileDigests(Snapshot.take(root)).of("hubs/alpha/values.yaml")
    assert changed != via_snapshot.of("hubs/alpha/values.yaml")
    assert changed == FileDigests(DirSource(root)).of("hubs/alpha/values.yaml")
