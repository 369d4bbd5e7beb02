"""Is each rendered file what `invoke render` would write now? validate's staleness check.

Writing 2000 hubs' YAML costs more than validating them, so the check leans on render's own
record (`.hubfleet/rendered.json`: per rendered file, a digest of every input render used and
a digest of the text it wrote). A file whose bytes and inputs are what the record says is
fresh without writing anything: render is deterministic. Otherwise (no record: a fresh clone;
an input or the file changed) the text is written here, by `yamlfast.Writer` and confirmed by
`yamlio.dump` where they differ, and what was learned goes back into the record. The record is
kept outside `.hubfleet/cache/` as render's account of what it wrote, keyed by its inputs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hubfleet.adapters.source import Source
from hubfleet.adapters.yamlfast import Writer
from hubfleet.app.render import Rendered, hub_header, text
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError, Problem
from hubfleet.core.model import Fleet, Hub
from hubfleet.core.support import SupportTarget

__all__ = [
    "RECORD",
    "Freshness",
    "HubKeys",
    "hub_key",
    "render_key",
    "support_key",
    "text_digest",
    "written_entries",
]

Digests = Callable[[str], bytes]  # a file's digest (`app.validate.FileDigests.of`)

RECORD = "rendered.json"  # in the state folder (`adapters.source.state_dir`)


def render_key(code: bytes, parts: Iterable[str], files: Iterable[tuple[str, bytes]]) -> str:
    """A digest of everything a rendered file's text depends on: hubfleet's code, the described
    parts (the hub, its chart, its cluster's facts) and the input files' digests."""
    return _feed(hashlib.blake2b(code, digest_size=16), parts, files).hexdigest()


def _feed(h: Any, parts: Iterable[str], files: Iterable[tuple[str, bytes]]) -> Any:
    for part in parts:
        h.update(part.encode() + b"\0")
    for path, digest in files:
        h.update(path.encode() + b"\0" + digest + b"\0")
    return h


class HubKeys:
    """`hub_key` over one run: the part a cluster's hubs on one chart share (the chart, the
    cluster's facts, the fleet and cluster layers and secrets) is hashed once, not per hub."""

    def __init__(self, fleet: Fleet, digest_of: Digests, code: bytes) -> None:
        self.fleet, self.digest_of, self.code = fleet, digest_of, code
        self.shared: dict[tuple[str, str], Any] = {}

    def __call__(self, hub: Hub) -> str:
        base = self.shared.get((hub.cluster, hub.chart))
        if base is None:
            cluster = self.fleet.clusters[hub.cluster]
            files = (paths.FLEET_LAYER, paths.cluster(hub.cluster).layer)
            files += (paths.FLEET_SECRETS, paths.cluster(hub.cluster).secrets)
            parts = (repr(self.fleet.chart_of(hub)), cluster.name, cluster.provider)
            base = _feed(
                hashlib.blake2b(self.code, digest_size=16), parts, ((f, self.digest_of(f)) for f in files)
            )
            self.shared[(hub.cluster, hub.chart)] = base
        own = paths.hub(hub.name)
        files = (own.values, own.secrets)
        return _feed(base.copy(), (repr(hub),), ((f, self.digest_of(f)) for f in files)).hexdigest()


def hub_key(fleet: Fleet, hub: Hub, digest_of: Digests, code: bytes) -> str:
    """A digest of everything `hub`'s rendered file depends on (one hub; `HubKeys` for many)."""
    return HubKeys(fleet, digest_of, code)(hub)


def support_key(fleet: Fleet, target: SupportTarget, digest_of: Digests, code: bytes) -> str:
    cluster = fleet.clusters[target.cluster]
    p = paths.support(target.cluster, target.name)
    parts = (repr(target), repr(fleet.config.charts[target.release.chart]), cluster.name, cluster.provider)
    return render_key(code, parts, ((f, digest_of(f)) for f in (*p.layers, p.secrets)))


def text_digest(data: bytes) -> str:
    """A file's digest as the record holds it: `FileDigests.of`'s, in hex (so a file validate
    hashed for its cache keys is not hashed again here)."""
    return (b"=" + hashlib.blake2b(data, digest_size=20).digest()).hex()


@dataclass
class Freshness:
    """One run's check: the record as render left it, and what this run learned."""

    source: Source
    record: Mapping[str, list[str]]  # rendered path -> [render key, digest of its text]
    digest_of: Digests
    code: bytes  # hubfleet's code digest (`app.validate.code_digest`)
    writer: Writer = field(default_factory=Writer)
    learned: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.hub_keys: HubKeys | None = None  # made on first use: it needs the fleet

    def problem(
        self,
        path: str,
        key: str,
        values: dict[str, Any],
        header: Callable[[], str],
        exact: Callable[[], str],
        fix: str,
        hub: str | None = None,
    ) -> Problem | None:
        """None if `path` holds what render writes for these values; else the located error.
        `header()` is the file's header; `exact()` render's own text (the slow, sure way)."""
        try:
            data = self.source.read(path)
        except HubfleetError as e:  # a folder or a dangling symlink in its place: its own line
            return replace(e.problems[0], hub=hub) if e.problems else Problem(path, str(e), hub=hub)
        if data is None:
            return Problem(path, f"missing: run `{fix}`", hub=hub)
        if self.record.get(path) == [key, self.digest_of(path).hex()]:
            return None
        body = self.writer.dump(values) if values else None
        fast = header() + body if body is not None else None
        expected = fast if fast is not None and fast.encode() == data else exact()
        written = expected.encode()
        self.learned[path] = [key, text_digest(written)]
        if written == data:
            return None
        return Problem(path, f"stale (its layers render differently): run `{fix}`", hub=hub)

    def hub_problem(self, fleet: Fleet, hub: Hub, files: list[str], values: dict[str, Any]) -> Problem | None:
        def header() -> str:
            return hub_header(fleet, hub, files)

        if self.hub_keys is None or self.hub_keys.fleet is not fleet:
            self.hub_keys = HubKeys(fleet, self.digest_of, self.code)
        return self.problem(
            paths.hub(hub.name).rendered,
            self.hub_keys(hub),
            values,
            header,
            lambda: text(values, header()),
            f"invoke render --hub {hub.name}",
            hub=hub.name,
        )

    def take(self) -> dict[str, list[str]]:
        """What was learned since the last call (a worker's part goes back to the parent)."""
        out, self.learned = self.learned, {}
        return out


def written_entries(
    fleet: Fleet, rendered: Sequence[Rendered], digest_of: Digests, code: bytes
) -> dict[str, list[str]]:
    """The record's entries for what render made (written or compared)."""
    targets = {t.id: t for t in fleet.support_targets()}
    hub_keys = HubKeys(fleet, digest_of, code)
    entries = {}
    for r in rendered:
        hub = fleet.hubs.get(r.hub)
        if hub is not None:
            key = hub_keys(hub)
        elif r.hub in targets:
            key = support_key(fleet, targets[r.hub], digest_of, code)
        else:
            continue
        entries[r.path] = [key, text_digest(r.text.encode())]
    return entries
