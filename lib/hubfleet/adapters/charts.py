"""Charts as data: each chart's own values schema and defaults, and its folder for Helm.

Repository charts (`https://`, `oci://`) are pulled once per (repository, name,
version) into `<state>/charts/`, untarred, and reused; chart folders in the fleet
are read where they are. A cache entry is a folder holding `meta.json` (digest,
source) and `chart/` (the chart); it appears by one rename, so a reader never sees
half of one. A *seeded* entry (schema and defaults only, for machines that cannot
reach the repository) has no templates: it serves `chart_meta`, not `chart_dir`.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubfleet.adapters import helm, yamlio
from hubfleet.adapters.runner import CommandError, Runner, run
from hubfleet.adapters.source import DirSource, state_dir
from hubfleet.core.errors import HubfleetError, Problem
from hubfleet.core.model import Chart

__all__ = [
    "ChartMeta",
    "cache_entry",
    "chart_dir",
    "chart_id",
    "chart_meta",
    "ensure_dependencies",
    "seed_cache",
]

SCHEMA_FILE = "values.schema.json"
DEFAULTS_FILE = "values.yaml"


@dataclass(frozen=True)
class Subchart:
    """A dependency vendored in the chart's `charts/`: Helm checks its values with its own schema."""

    key: str  # the dependency's alias, else its name: where its values sit in the parent's
    condition: str | None  # e.g. `dask-gateway.enabled`: a disabled subchart is not checked
    schema: dict[str, Any] | None
    defaults: dict[str, Any]
    name: str = ""  # the vendored chart's own Chart.yaml name and version
    version: str = ""


@dataclass(frozen=True)
class ChartMeta:
    schema: dict[str, Any] | None  # the chart's values.schema.json, None if it ships none
    defaults: dict[str, Any]  # the chart's values.yaml
    digest: str  # sha256 of the chart archive, or of a chart folder's files
    source: str  # where it came from: the archive URL/ref, a folder, or "seeded from DIR"
    subcharts: tuple[Subchart, ...] = ()
    name: str = ""  # from the chart's Chart.yaml, where the folder has one
    version: str = ""
    # (values key, name, version) of each dependency Chart.yaml declares: the vendored chart's
    # own version where it is vendored, else the declared one (which may be a range)
    dependencies: tuple[tuple[str, str, str], ...] = ()
    defaults_text: str = ""  # values.yaml as written: its comments document the keys (editor schemas)


# --- pure helpers ------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "x"


def cache_key(chart: Chart) -> str:
    """`<readable repo>-<hash of repo URL>/<name>/<version>`: repo, name and version all count."""
    repo = (chart.repo or "").rstrip("/")
    short = hashlib.sha256(repo.encode()).hexdigest()[:12]
    host = re.sub(r"^[a-z]+://", "", repo)
    return f"{_slug(host)}-{short}/{_slug(chart.name)}/{_slug(chart.version or 'none')}"


def folder_digest(folder: Path) -> str:
    """sha256 over the sorted (relative path, content) of every file: a chart folder's identity."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        h.update(rel.encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def fleet_folder_digest(root: Path, rel: str) -> str:
    """`folder_digest` of a chart folder in the fleet, every file read as any fleet file is
    (`DirSource`): a link out of the fleet, a FIFO or a device in it is one located error."""
    source = DirSource(root)
    h = hashlib.sha256()
    for path in sorted(source.files_under(rel), key=lambda p: p.split("/")):  # as `folder_digest`
        h.update(path[len(rel) + 1 :].encode() + b"\0")
        h.update(hashlib.sha256(source.read(path) or b"").digest())
    return h.hexdigest()


def chart_error(chart: Chart, key: str | None, message: str) -> HubfleetError:
    """An error located at `charts.<key>[.<key>]` of fleet.yaml: one line, and a Problem for validate."""
    return HubfleetError.at("fleet.yaml", message, ("charts", chart.key, *([key] if key else [])))


def _where(chart: Chart) -> str:
    return f"fleet.yaml: charts.{chart.key}"


def meta_from_folder(folder: Path, digest: str, source: str, chart: Chart) -> ChartMeta:
    """Schema and defaults of a chart folder (its own files, as Helm reads them)."""
    schema = None
    schema_path = folder / SCHEMA_FILE
    if schema_path.is_file():
        try:
            schema = json.loads(schema_path.read_bytes())
        except ValueError as e:
            raise chart_error(chart, None, f"{schema_path} is not valid JSON: {e}") from None
    defaults_path = folder / DEFAULTS_FILE
    raw = defaults_path.read_bytes() if defaults_path.is_file() else b""
    defaults = yamlio.parse(raw, str(defaults_path), allow_empty=True, strict=False) if raw else {}
    name, version, declared = chart.name, chart.version or "", []
    if (folder / "Chart.yaml").is_file():
        where = str(folder / "Chart.yaml")
        doc = yamlio.parse((folder / "Chart.yaml").read_bytes(), where, allow_empty=True, strict=False)
        name, version = str(doc.get("name", name)), str(doc.get("version", version))
        declared = [d for d in doc.get("dependencies") or [] if isinstance(d, dict)]
    subs = subcharts(folder, chart)
    vendored = {s.name: s.version for s in subs}
    deps = tuple(
        (
            str(d.get("alias") or d.get("name", "")),
            str(d.get("name", "")),
            vendored.get(str(d.get("name")), str(d.get("version", ""))),
        )
        for d in declared
    )
    return ChartMeta(
        schema, defaults, digest, source, subs, name, version, deps, raw.decode("utf-8", "replace")
    )


def subcharts(folder: Path, chart: Chart) -> tuple[Subchart, ...]:
    """The dependencies Chart.yaml names that `charts/` holds (folders or .tgz), one level deep."""
    chart_yaml = folder / "Chart.yaml"
    if not chart_yaml.is_file():
        return ()
    doc = yamlio.parse(chart_yaml.read_bytes(), str(chart_yaml), allow_empty=True, strict=False)
    vendored = _vendored(folder / "charts", chart)
    out = []
    for dep in doc.get("dependencies") or []:
        name = str(dep.get("name", ""))
        if name in vendored:
            schema, defaults, version = vendored[name]
            key = str(dep.get("alias") or name)
            out.append(Subchart(key, dep.get("condition"), schema, defaults, name, version))
    return tuple(out)


def _vendored(charts_dir: Path, chart: Chart) -> dict[str, tuple[dict[str, Any] | None, dict[str, Any], str]]:
    """name -> (schema, defaults, version) of each chart in `charts/`, unpacked or packaged."""
    found: dict[str, tuple[dict[str, Any] | None, dict[str, Any], str]] = {}
    if not charts_dir.is_dir():
        return found
    for entry in sorted(charts_dir.iterdir()):
        files = _chart_files(entry)
        if "Chart.yaml" not in files:
            continue
        where = f"{_where(chart)}: {entry}"
        meta = yamlio.parse(files["Chart.yaml"], where, allow_empty=True, strict=False)
        try:
            schema = json.loads(files[SCHEMA_FILE]) if SCHEMA_FILE in files else None
        except ValueError as e:
            raise HubfleetError(f"{where}: {SCHEMA_FILE} is not valid JSON: {e}") from None
        raw = files.get(DEFAULTS_FILE, b"")
        defaults = yamlio.parse(raw, where, allow_empty=True, strict=False) if raw else {}
        found[str(meta.get("name", entry.name))] = (schema, defaults, str(meta.get("version", "")))
    return found


def _chart_files(entry: Path) -> dict[str, bytes]:
    """Chart.yaml, values.yaml and values.schema.json of a chart folder or a chart .tgz."""
    wanted = ("Chart.yaml", DEFAULTS_FILE, SCHEMA_FILE)
    if entry.is_dir():
        return {n: (entry / n).read_bytes() for n in wanted if (entry / n).is_file()}
    if not entry.name.endswith(".tgz"):
        return {}
    out = {}
    with tarfile.open(entry) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if len(parts) == 2 and parts[1] in wanted and member.isfile():
                handle = tar.extractfile(member)
                if handle is not None:
                    out[parts[1]] = handle.read()
    return out


# --- the cache ----------------------------------------------------------------------------


def cache_entry(root: Path, chart: Chart) -> Path:
    return state_dir(root) / "charts" / cache_key(chart)


def _read_entry(entry: Path) -> dict[str, Any] | None:
    try:
        return json.loads((entry / "meta.json").read_text())
    except (FileNotFoundError, ValueError):
        return None


def _publish(entry: Path, build) -> None:
    """Build an entry in a temp folder beside it, then rename it into place."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=entry.parent, prefix=f".{entry.name}-"))
    try:
        build(tmp)
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(tmp, entry)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _untar_chart(archive: Path, into: Path) -> None:
    with tarfile.open(archive) as tar:
        tar.extractall(into / "x", filter="data")
    tops = [p for p in (into / "x").iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise HubfleetError(f"{archive.name}: a chart archive holds one folder, found {len(tops)}")
    os.replace(tops[0], into / "chart")
    shutil.rmtree(into / "x")


def _seed_archive(root: Path, chart: Chart, archive: Path) -> Path:
    """A packaged chart into the cache exactly as a pull puts it (templates included): it must be
    the chart and version `fleet.yaml` pins."""
    _check_pin(chart, _chart_files(archive).get("Chart.yaml", b""), archive)
    return _seeded(root, chart, archive, lambda tmp: _untar_archive(archive, tmp))


def _untar_archive(archive: Path, tmp: Path) -> str:
    _untar_chart(archive, tmp)
    return hashlib.sha256(archive.read_bytes()).hexdigest()


def _seeded(root: Path, chart: Chart, source: Path, fill: Callable[[Path], str]) -> Path:
    """A whole chart seeded into the cache entry as a pull would leave it: `fill(tmp)` puts the
    chart under `tmp` and returns its digest; the entry is published whole, under its lock."""
    entry = cache_entry(root, chart)

    def build(tmp: Path) -> None:
        info = {
            "digest": fill(tmp),
            "source": f"{chart.ref} {chart.version} (seeded from {source})",
            "seeded": False,
        }
        (tmp / "meta.json").write_text(json.dumps(info))

    from filelock import FileLock  # ~30-80 ms to import: only when writing

    with FileLock(str(entry) + ".lock", timeout=600):
        _publish(entry, build)
    return entry


PULL_FAILED = "cannot pull chart"  # how a failed pull's problem starts (`pull_failures`)


def pull_failures(problems: Sequence[Problem], charts: Mapping[str, Chart]) -> list[Chart]:
    """The charts whose pull failed, among `problems`."""
    keys = [
        p.keypath[1] for p in problems if p.keypath[:1] == ("charts",) and p.message.startswith(PULL_FAILED)
    ]
    return [charts[k] for k in dict.fromkeys(keys) if k in charts]


def _check_pin(chart: Chart, chart_yaml: bytes, where: Path) -> None:
    """A seed must be the chart and version `fleet.yaml` pins."""
    meta = yamlio.parse(chart_yaml, str(where), allow_empty=True, strict=False)
    got = (str(meta.get("name", "")), str(meta.get("version", "")))
    if got != (chart.name, chart.version or ""):
        raise HubfleetError(
            f"{where}: holds chart {got[0] or '?'} {got[1] or '?'}, but fleet.yaml charts.{chart.key} "
            f"pins {chart.name} {chart.version}"
        )


def is_chart_folder(folder: Path) -> bool:
    """A whole chart (what `helm template` needs), not only its schema and defaults."""
    return (folder / "Chart.yaml").is_file() and (folder / "templates").is_dir()


def _seed_folder(root: Path, chart: Chart, folder: Path) -> Path:
    """A chart folder into the cache as a pull would put it: templates included."""
    _check_pin(chart, (folder / "Chart.yaml").read_bytes(), folder / "Chart.yaml")
    meta_from_folder(folder, "", "", chart)  # fail on bad files before touching the cache

    def copy(tmp: Path) -> str:
        shutil.copytree(folder, tmp / "chart", symlinks=False)
        return folder_digest(tmp / "chart")

    return _seeded(root, chart, folder, copy)


def _pull(root: Path, chart: Chart, entry: Path, runner: Runner) -> None:
    def build(tmp: Path) -> None:
        try:
            helm.pull(root, chart, tmp, runner=runner)
        except CommandError as e:
            raise chart_error(
                chart,
                None,
                f"{PULL_FAILED} {chart.name} {chart.version} from {chart.repo} "
                f"({e}). Check the URL and the network; `invoke validate --offline` skips the chart, and "
                f"{seed_command(chart)} caches it (a packaged chart, or a chart folder)",
            ) from None
        archives = list(tmp.glob("*.tgz"))
        if len(archives) != 1:
            raise chart_error(chart, None, f"helm pull left {len(archives)} archives, expected 1")
        digest = hashlib.sha256(archives[0].read_bytes()).hexdigest()
        _untar_chart(archives[0], tmp)
        archives[0].unlink()
        meta = {"digest": digest, "source": f"{chart.ref} {chart.version}", "seeded": False}
        (tmp / "meta.json").write_text(json.dumps(meta))

    _publish(entry, build)


def _cached(root: Path, chart: Chart, *, offline: bool, runner: Runner) -> tuple[Path, dict] | None:
    entry = cache_entry(root, chart)
    info = _read_entry(entry)
    if info is not None or offline:
        return (entry, info) if info is not None else None
    from filelock import FileLock  # ~30-80 ms to import: only when writing

    with FileLock(str(entry) + ".lock", timeout=600):
        info = _read_entry(entry)  # pulled by another process while we waited
        if info is None:
            _pull(root, chart, entry, runner)
            info = _read_entry(entry)
    assert info is not None
    return entry, info


# --- the API -----------------------------------------------------------------------------


def chart_meta(root: Path, chart: Chart, *, offline: bool = False, runner: Runner = run) -> ChartMeta | None:
    """The chart's schema and defaults; None only when offline and not cached."""
    if chart.kind == "path":
        folder = _path_folder(root, chart)
        if not offline:  # vendored dependencies carry the subcharts' own schemas
            ensure_dependencies(root, chart, runner=runner)
        digest = fleet_folder_digest(root, posixpath.normpath(chart.path or ""))
        return meta_from_folder(folder, digest, chart.path or "", chart)
    found = _cached(root, chart, offline=offline, runner=runner)
    if found is None:
        return None
    entry, info = found
    return meta_from_folder(entry / "chart", info["digest"], info["source"], chart)


def chart_id(root: Path, chart: Chart) -> str | None:
    """`name-version` as `helm history` prints a release's chart; None when no version is pinned.

    A folder chart's from its Chart.yaml: its version does not pin its content, so `deploy` also
    compares its manifests (`app.releases.folder_manifests`)."""
    if chart.kind != "path":
        return f"{chart.name}-{chart.version}" if chart.version else None
    where = _path_folder(root, chart) / "Chart.yaml"
    doc = yamlio.parse(where.read_bytes(), str(where), allow_empty=True, strict=False)
    name, version = doc.get("name"), doc.get("version")
    return f"{name}-{version}" if name and version else None


def chart_dir(root: Path, chart: Chart, *, runner: Runner = run) -> Path:
    """The full chart folder (templates included), for `helm template`."""
    if chart.kind == "path":
        folder = _path_folder(root, chart)
        ensure_dependencies(root, chart, runner=runner)
        return folder
    found = _cached(root, chart, offline=False, runner=runner)
    assert found is not None
    entry, info = found
    if info.get("seeded"):
        raise chart_error(
            chart,
            None,
            f"the cache holds only the schema and defaults of {chart.name} {chart.version} "
            f"({info['source']}, which has no Chart.yaml and templates/), not its templates: seed the whole "
            f"chart with {seed_command(chart)} (a packaged chart) or a chart folder, or reach {chart.repo} "
            f"once after deleting {entry}",
        )
    return entry / "chart"


def _path_folder(root: Path, chart: Chart) -> Path:
    folder = root / (chart.path or "")
    if not (folder / "Chart.yaml").is_file():
        raise chart_error(chart, "path", f"{chart.path} is not a chart folder (no Chart.yaml)")
    return folder


def needs_dependency_build(folder: Path) -> bool:
    """Chart.yaml lists dependencies that charts/ does not hold yet."""
    doc = yamlio.parse((folder / "Chart.yaml").read_bytes(), str(folder / "Chart.yaml"))
    deps = doc.get("dependencies") or []
    have = {p.name for p in (folder / "charts").glob("*")} if (folder / "charts").is_dir() else set()
    for dep in deps:
        name = str(dep.get("name", ""))
        if not any(h == name or (h.startswith(f"{name}-") and h.endswith(".tgz")) for h in have):
            return True
    return False


def ensure_dependencies(root: Path, chart: Chart, *, runner: Runner = run) -> list[str] | None:
    """`helm dependency build <path>` (from the fleet root) when the folder needs it; the argv run."""
    if chart.kind != "path" or not needs_dependency_build(_path_folder(root, chart)):
        return None
    try:
        return helm.dependency_build(root, chart, runner=runner)
    except CommandError as e:
        raise chart_error(chart, "path", f"`helm dependency build` failed: {e}") from None


def seed_command(chart: Chart) -> str:
    """The command that caches the whole chart without network."""
    return f"`invoke setup --seed-chart {chart.key}=CHART.tgz`"


def seed_cache(root: Path, chart: Chart, folder: Path) -> Path:
    """Cache a packaged chart (`.tgz`, as `helm pull` gets it) or a chart folder (Chart.yaml,
    templates/) as the whole chart; a folder with only values.schema.json + values.yaml as
    `chart`'s metadata (enough for validate, not for `helm template`)."""
    if chart.kind == "path":
        raise chart_error(chart, None, "is a chart folder in the fleet; it needs no seeding")
    if folder.is_file() and folder.name.endswith(".tgz"):
        return _seed_archive(root, chart, folder)
    if is_chart_folder(folder):
        return _seed_folder(root, chart, folder)
    if not (folder / SCHEMA_FILE).is_file() and not (folder / DEFAULTS_FILE).is_file():
        raise HubfleetError(f"{folder}: holds neither {SCHEMA_FILE} nor {DEFAULTS_FILE}")
    meta_from_folder(folder, "", "", chart)  # fail on bad files before touching the cache
    entry = cache_entry(root, chart)

    def build(tmp: Path) -> None:
        (tmp / "chart").mkdir()
        for name in (SCHEMA_FILE, DEFAULTS_FILE):
            if (folder / name).is_file():
                shutil.copyfile(folder / name, tmp / "chart" / name)
        meta = {"digest": folder_digest(tmp / "chart"), "source": f"seeded from {folder}", "seeded": True}
        (tmp / "meta.json").write_text(json.dumps(meta))

    from filelock import FileLock  # ~30-80 ms to import: only when writing

    with FileLock(str(entry) + ".lock", timeout=600):
        _publish(entry, build)
    return entry
