"""GitSource reads a commit exactly as DirSource reads the working tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers.git import git
from hubfleet.adapters.gitsource import GitSource, digest, folder_digest
from hubfleet.adapters.source import DirSource
from hubfleet.core.errors import HubfleetError

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    top = tmp_path / "repo"
    files = {
        "outside.txt": b"not in the fleet\n",
        "fleet/fleet.yaml": b"charts: {}\n",
        "fleet/hubs/a/hub.yaml": "name: a  # caf\u00e9\n".encode(),
        "fleet/hubs/a/blob.bin": b"\xff\x00\xfe\n" * 100,
        "fleet/hubs/b/values.yaml": b"",
        "fleet/charts/c/templates/x.yaml": b"kind: X\n",
        "fleet/.hidden/f": b"x",
    }
    for rel, data in files.items():
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / rel).write_bytes(data)
    git(top, "init", "-q")
    git(top, "add", "-A")
    git(top, "commit", "-qm", "one")
    return top


def test_matches_the_working_tree_from_a_subfolder(repo: Path):
    root = repo / "fleet"
    disk = DirSource(root)
    with GitSource(root, "HEAD") as src:
        assert src.sha == git(repo, "rev-parse", "HEAD")
        paths = sorted(src.oids)
        assert "outside.txt" not in paths and "hubs/a/hub.yaml" in paths
        for p in paths:
            assert src.read(p) == disk.read(p), p
            assert digest(src, p) == digest(disk, p)
        assert src.read("hubs/missing.yaml") is None
        assert src.subdirs("hubs") == disk.subdirs("hubs") == ["a", "b"]
        assert src.subdirs("") == ["charts", "hubs"]
        assert list(src.files_under("charts/c")) == list(disk.files_under("charts/c"))
        assert folder_digest(src, "charts/c") == folder_digest(disk, "charts/c")


def test_reads_an_older_commit_not_the_working_tree(repo: Path):
    first = git(repo, "rev-parse", "HEAD")
    (repo / "fleet/fleet.yaml").write_text("charts: {x: 1}\n")
    git(repo, "commit", "-qam", "two")
    (repo / "fleet/fleet.yaml").write_text("uncommitted\n")
    with GitSource(repo / "fleet", first) as old, GitSource(repo / "fleet", "HEAD") as new:
        assert old.read("fleet.yaml") == b"charts: {}\n"
        assert new.read("fleet.yaml") == b"charts: {x: 1}\n"
        assert old.oid("hubs/a/hub.yaml") == new.oid("hubs/a/hub.yaml")


def test_unknown_revision_and_non_repository(repo: Path, tmp_path: Path):
    with pytest.raises(HubfleetError, match="`v9` is not a commit"):
        GitSource(repo, "v9")
    elsewhere = tmp_path / "plain"
    elsewhere.mkdir()
    with pytest.raises(HubfleetError):
        GitSource(elsewhere, "HEAD")


def test_closing_ends_the_cat_file_process(repo: Path):
    src = GitSource(repo / "fleet", "HEAD")
    src.read("fleet.yaml")
    proc = src._cat.proc
    assert proc is not None and proc.poll() is None
    src.close()
    assert proc.poll() is not None


def test_links_read_the_same_from_git_and_the_work_tree(tmp_path: Path):
    """Issue 14 item 9: a link inside the fleet is followed by both; one out of it is the same error
    from both, so `validate` (work tree) and `plan` (git) agree on a commit."""
    top = tmp_path / "linked"
    (top / "fleet/hubs/a").mkdir(parents=True)
    (top / "outside.yaml").write_text("singleuser: {}\n")
    (top / "fleet/fleet.yaml").write_text("charts: {}\n")
    (top / "fleet/shared.yaml").write_text("shared: 1\n")
    (top / "fleet/hubs/a/values.yaml").symlink_to("../../shared.yaml")
    (top / "fleet/hubs/a/out.yaml").symlink_to("../../../outside.yaml")
    (top / "fleet/hubs/a/abs.yaml").symlink_to(top / "outside.yaml")
    git(top, "init", "-q")
    git(top, "add", "-A")
    git(top, "commit", "-qm", "links")
    root = top / "fleet"
    work, commit = DirSource(root), GitSource(root, "HEAD")
    try:
        assert work.read("hubs/a/values.yaml") == commit.read("hubs/a/values.yaml") == b"shared: 1\n"
        assert digest(work, "hubs/a/values.yaml") == digest(commit, "hubs/a/values.yaml")
        for rel in ("hubs/a/out.yaml", "hubs/a/abs.yaml"):
            messages = []
            for source in (work, commit):
                with pytest.raises(HubfleetError) as e:
                    source.read(rel)
                messages.append(str(e.value))
            assert messages[0] == messages[1] and "outside the fleet" in messages[0], messages
    finally:
        commit.close()
