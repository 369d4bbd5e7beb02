"""Container image references that do not say which image runs: `latest`, no tag, a moving tag.

Pure. A hub whose image can change under it is not reproducible (a rebuild of `latest` reaches
every user at their next start); a digest (`name@sha256:...`) or a version tag pins it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import KeyPath

__all__ = ["problems", "tag_problem"]

# Tags that by convention follow a branch or channel rather than name one build.
MOVING = frozenset(
    [
        "latest",
        "main",
        "master",
        "stable",
        "edge",
        "nightly",
        "dev",
        "develop",
        "development",
        "unstable",
        "current",
        "lts",
        "release",
        "rolling",
        "beta",
        "alpha",
        "next",
        "canary",
        "head",
        "trunk",
        "testing",
    ]
)
_MAJOR_MINOR = re.compile(r"v?\d{1,2}(\.\d+)?")  # `3`, `3.11`, `v1`: moves with every patch release


def tag_problem(name: str, tag: str | None) -> str | None:
    """Why `name:tag` does not pin one image, or None."""
    if "@sha256:" in name or (tag and "@sha256:" in tag):
        return None
    if not tag:
        return "no tag: Kubernetes pulls `latest`, which changes under the hub; pin a version or a digest"
    low = tag.lower()
    if low == "latest" or low.startswith("latest-") or low.endswith("-latest"):
        return f"`{tag}` changes whenever the image is rebuilt; pin a version or a digest (name@sha256:...)"
    if low in MOVING or _MAJOR_MINOR.fullmatch(low):
        return f"`{tag}` is a moving tag (it follows new builds); pin a version or a digest"
    return None


def split(ref: str) -> tuple[str, str | None]:
    """`registry:5000/org/img:tag` -> (`registry:5000/org/img`, `tag`); a digest stays in the name."""
    if "@" in ref:
        return ref, None
    head, _, last = ref.rpartition("/")
    if ":" in last:
        name, _, tag = last.partition(":")
        return (f"{head}/{name}" if head else name), tag
    return ref, None


def problems(root: Mapping[str, Any]) -> Iterator[tuple[KeyPath, str]]:
    """(key path, message) of each image of the hub, its users and their profiles, in z2jh's values."""
    for keypath, name, tag in _images(root):
        message = tag_problem(name, tag)
        if message:
            yield keypath, f"image {name}: {message}"


def _images(root: Mapping[str, Any]) -> Iterator[tuple[KeyPath, str, str | None]]:
    for where in (("hub", "image"), ("singleuser", "image")):
        image = _node(root, where)
        if isinstance(image, dict) and isinstance(image.get("name"), str) and image["name"]:
            tag = image.get("tag")
            at = (*where, "tag") if "tag" in image else (*where, "name")
            yield at, image["name"], None if tag is None else str(tag)
    spawner = _node(root, ("hub", "config", "KubeSpawner"))
    if isinstance(spawner, dict):
        yield from _ref(("hub", "config", "KubeSpawner", "image"), spawner.get("image"))
        yield from _profiles(("hub", "config", "KubeSpawner", "profile_list"), spawner.get("profile_list"))
    yield from _profiles(("singleuser", "profileList"), _node(root, ("singleuser", "profileList")))


def _profiles(where: KeyPath, profiles: Any) -> Iterator[tuple[KeyPath, str, str | None]]:
    if not isinstance(profiles, list):
        return
    for i, profile in enumerate(profiles):
        if not isinstance(profile, dict):
            continue
        override = profile.get("kubespawner_override")
        if isinstance(override, dict):
            yield from _ref((*where, i, "kubespawner_override", "image"), override.get("image"))
        options = profile.get("profile_options")
        for name, option in options.items() if isinstance(options, dict) else ():
            choices = option.get("choices") if isinstance(option, dict) else None
            for key, choice in choices.items() if isinstance(choices, dict) else ():
                inner = choice.get("kubespawner_override") if isinstance(choice, dict) else None
                if isinstance(inner, dict):
                    at = (*where, i, "profile_options", name, "choices", key, "kubespawner_override", "image")
                    yield from _ref(at, inner.get("image"))


def _ref(at: KeyPath, ref: Any) -> Iterator[tuple[KeyPath, str, str | None]]:
    if isinstance(ref, str) and ref and "{" not in ref:  # `{value}`: filled in by the user's choice
        name, tag = split(ref)
        yield at, name, tag


def _node(data: Any, path: KeyPath) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data
