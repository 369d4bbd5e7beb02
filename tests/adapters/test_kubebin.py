"""The test clusters' binary: found by key, verified by its recorded sha256, never built without Go."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from hubfleet.adapters import kubebin

REPO = Path(__file__).resolve().parents[2]


def _cached(cache: Path, data: bytes = b"#!/bin/sh\necho v1.36.3\n") -> Path:
    source = kubebin.source_dir(REPO)
    assert source is not None
    folder = cache / "hubfleet" / "kube" / kubebin._key(source)
    folder.mkdir(parents=True)
    binary = folder / kubebin.BINARY
    binary.write_bytes(data)
    binary.chmod(0o755)
    (folder / f"{kubebin.BINARY}.sha256").write_text(
        f"{hashlib.sha256(data).hexdigest()}  {kubebin.BINARY}\n"
    )
    return binary


def test_the_cached_build_of_this_checkout_is_found_and_verified(tmp_path) -> None:
    kubebin._verified.cache_clear()
    binary = _cached(tmp_path)
    assert kubebin.find(REPO, {"XDG_CACHE_HOME": str(tmp_path)}) == binary


def test_a_binary_that_changed_since_its_build_is_refused(tmp_path) -> None:
    kubebin._verified.cache_clear()
    binary = _cached(tmp_path)
    binary.write_bytes(b"#!/bin/sh\necho tampered\n")
    with pytest.raises(kubebin.KubeUnavailable, match="does not match its recorded sha256"):
        kubebin.find(REPO, {"XDG_CACHE_HOME": str(tmp_path)})


def test_no_go_on_path_is_one_clear_line(tmp_path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": str(tmp_path / "empty")}
    with pytest.raises(kubebin.KubeUnavailable, match=r"needs Go \(1.26\) on PATH"):
        kubebin.build(REPO, environ=env)


def test_hubfleet_kube_must_name_an_executable(tmp_path) -> None:
    with pytest.raises(kubebin.KubeUnavailable, match=r"HUBFLEET_KUBE=.* is not an executable"):
        kubebin.find(REPO, {"HUBFLEET_KUBE": str(tmp_path / "missing")})


def test_nothing_cached_and_no_override_finds_nothing(tmp_path) -> None:
    assert kubebin.find(REPO, {"XDG_CACHE_HOME": str(tmp_path)}) is None


@pytest.mark.skipif(shutil.which("go") is None, reason="Go is not on PATH")
def test_kubebin_module_is_tidy_and_pins_one_release() -> None:
    """go.mod requires the release core.testcluster names, and every staging module at its v0 twin."""
    from hubfleet.core.testcluster import KUBE_VERSION

    text = (REPO / "kubebin" / "go.mod").read_text()
    assert f"k8s.io/kubernetes {KUBE_VERSION}" in text
    staging = KUBE_VERSION.replace("v1.", "v0.")
    replaces = [line.split() for line in text.splitlines() if "=>" in line]
    assert len(replaces) >= 30
    assert all(r[-1] == staging for r in replaces)
    assert os.access(REPO / "kubebin" / "go.sum", os.R_OK)
