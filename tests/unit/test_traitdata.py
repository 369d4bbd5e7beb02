"""The shipped trait catalogues: what they hold, that the wheel ships them, which one a chart gets."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest
from devtools.trait_catalogue import PINS

from hubfleet.adapters import traitdata

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "lib" / "hubfleet"


def test_one_catalogue_per_pinned_chart_version_with_exactly_those_pins():
    assert traitdata.known_versions() == ("4.3.5", "4.4.0")
    assert set(PINS) == set(traitdata.known_versions())
    for version in traitdata.known_versions():
        cat = traitdata.catalogue(version)
        assert cat is not None and cat.chart_version == version
        assert dict(cat.packages) == PINS[version]
        installed = cat.data["installed"]
        for dist, pin in PINS[version].items():
            assert installed[dist] == pin, f"{dist}: catalogue made from {installed[dist]}, chart pins {pin}"


def test_the_catalogues_differ_where_the_images_do():
    old, new = traitdata.catalogue("4.3.5"), traitdata.catalogue("4.4.0")
    assert old.packages["jupyterhub"] == "5.4.6" and new.packages["jupyterhub"] == "5.5.0"
    assert (old.hub_image_name, old.hub_image_tag) == ("quay.io/jupyterhub/k8s-hub", "4.3.5")


def test_classes_traits_and_aliases():
    cat = traitdata.catalogue("4.4.0")
    assert cat.resolve("github", "authenticators") == "GitHubOAuthenticator"
    assert cat.resolve("TMP", "authenticators") == "TmpAuthenticator"
    assert cat.resolve("kubespawner.KubeSpawner", "spawners") == "KubeSpawner"
    assert cat.resolve("kubespawner", "spawners") is None  # kubespawner 7 registers no entry point
    assert cat.mro("LocalGitHubOAuthenticator")[:4] == (
        "LocalGitHubOAuthenticator",
        "LocalAuthenticator",
        "GitHubOAuthenticator",
        "OAuthenticator",
    )
    traits = cat.traits("KubeSpawner")
    assert traits["image"].owner == "KubeSpawner" and traits["cmd"].owner == "KubeSpawner"
    assert traits["mem_limit"].owner == "Spawner" and traits["mem_limit"].type == "ByteSpecification"
    assert traits["image_pull_policy"].kinds == "sn"  # Unicode(allow_none=True)
    assert cat.traits("OAuthenticator")["allowed_groups"].items == "s"


@pytest.mark.parametrize(
    ("version", "expect"),
    [
        ("4.4.0", "4.4.0"),
        ("4.3.5", "4.3.5"),
        ("4.3.3", "4.3.5"),
        ("4.5.1", "4.4.0"),
        ("~4.4", "4.4.0"),
        ("5.0.0-beta.1", "4.4.0"),
    ],
)
def test_nearest_catalogue(version, expect):
    assert traitdata.nearest(version).chart_version == expect


def test_the_wheel_ships_every_catalogue():
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["hubfleet"]
    files = [p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "data" / "traits").iterdir()]
    assert files
    for rel in files:
        # setuptools globs do not cross folders with `*`: the same as fnmatch on each part
        assert any(
            len(pat.split("/")) == len(rel.split("/"))
            and all(fnmatch.fnmatch(a, b) for a, b in zip(rel.split("/"), pat.split("/"), strict=True))
            for pat in patterns
        ), f"{rel} matches no package-data pattern {patterns}"
