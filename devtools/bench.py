"""`python -m hubfleet.bench`: render/validate figures on a synthetic fleet, with baselines.

Every measured step runs in a fresh Python process (so no in-memory cache helps),
on one generated fleet, and reports wall time, CPU time and peak memory. Two
baselines run in the same session: a naive per-hub OmegaConf merge, and `helm
template` per hub. Targets print PASS/MISS; nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

__all__ = ["main"]

CHART_DIR = "charts/jupyterhub-4.4.0"
PROJECT = Path(__file__).resolve().parents[1]  # the checkout (devtools/bench.py)
if TYPE_CHECKING:
    from rich.table import Table


class _LazyConsole:
    """rich, imported by the parent only: a measured child imports what the step itself needs."""

    def __getattr__(self, name: str) -> Any:
        from rich.console import Console

        real = Console(highlight=False)
        if not real.is_terminal:  # CI logs: wide enough that the table never wraps
            real = Console(highlight=False, width=160)
        globals()["console"] = real
        return getattr(real, name)


console: Any = _LazyConsole()


def run(*args: Any, **kwargs: Any) -> Any:
    """hubfleet's subprocess runner, for the parent: a measured child imports none of it."""
    from hubfleet.adapters.runner import run as runner

    return runner(*args, **kwargs)


def shared_chart() -> Path | None:
    """The real chart's schema + defaults: $HUBFLEET_SHARED, else `../shared` beside the checkout."""
    env = os.environ.get("HUBFLEET_SHARED")
    folder = (Path(env) if env else PROJECT.parent / "shared") / CHART_DIR
    return folder if (folder / "values.schema.json").is_file() else None


# --- children: one measured step each, a JSON line on stdout ----------------------------


def _usage(t0: float, **figures: Any) -> dict[str, Any]:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    # ru_maxrss is KiB on Linux; RUSAGE_CHILDREN is the largest forked worker.
    return {
        "inner_s": time.perf_counter() - t0,
        "cpu_s": cpu,
        "rss_mb": max(me.ru_maxrss, kids.ru_maxrss) / 1024,
        **figures,
    }


def _schema_loader(chart: Path | None):
    """Use the seeded chart cache when `hubfleet.charts` can seed; else build the schema here."""
    try:
        from hubfleet.adapters.charts import seed_cache  # noqa: F401 - its presence means the parent seeded the cache

        return None
    except ImportError:
        if chart is None:
            return lambda _chart: None
        import yaml

        from hubfleet.core.chartschema import ChartSchema

        schema = json.loads((chart / "values.schema.json").read_text())
        defaults = yaml.safe_load((chart / "values.yaml").read_text())
        return lambda _chart: ChartSchema(schema, defaults)


def child_validate(root: Path, chart: Path | None, rendered: bool = True) -> dict[str, Any]:
    """What `invoke validate` does (`validate_tree`: one walk, whole runs reused); `rendered=False`:
    without the rendered files' staleness check (what that check costs)."""
    t0 = time.perf_counter()
    from hubfleet.core.errors import errors_only

    try:
        from hubfleet.app.validaterun import validate_tree
    except ImportError:  # an older hubfleet, for a baseline: load, then validate
        from hubfleet.adapters.source import DirSource
        from hubfleet.app.load import load_fleet
        from hubfleet.app.validate import validate_fleet

        fleet = load_fleet(DirSource(root))
        problems = validate_fleet(root, fleet, offline=True, chart_schema=_schema_loader(chart))
        hubs = len(fleet.hubs)
    else:
        checked = (
            validate_tree(root, offline=True)
            if rendered
            else validate_tree(root, offline=True, rendered=False)
        )
        problems, hubs = checked.problems, checked.hubs
        import gc

        gc.freeze()  # as `hubfleet`'s task runner does once a command returns (hubfleet.cli.tasks)
    errors = errors_only(problems)
    return _usage(
        t0,
        hubs=hubs,
        errors=len(errors),
        warnings=len(problems) - len(errors),
        first=str(problems[0]) if problems else "",
    )


def child_render(root: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import load_fleet
    from hubfleet.app.renderall import render_fleet, stale_files, write_rendered

    fleet = load_fleet(DirSource(root))
    rendered = render_fleet(fleet)
    written = write_rendered(root, rendered)
    try:
        from hubfleet.app.freshness import written_entries
        from hubfleet.app.validate import FileDigests, code_digest, save_record
    except ImportError:  # an older hubfleet: validate checked no rendered file
        pass
    else:  # as `invoke render` does
        save_record(root, written_entries(fleet, rendered, FileDigests(fleet.source).of, code_digest()))
    t1 = time.perf_counter()
    stale = stale_files(root, rendered)
    return _usage(
        t0, write_s=t1 - t0, check_s=time.perf_counter() - t1, written=len(written), stale=len(stale)
    )


def child_omegaconf(root: Path, sample: int) -> dict[str, Any]:
    """The naive way: OmegaConf.create each layer, merge, to_container(resolve=True), per hub."""
    from omegaconf import OmegaConf

    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import layer_paths, load_fleet, read_layer

    fleet = load_fleet(DirSource(root))
    names = _spread(sorted(fleet.hubs), sample)
    facts: dict[str, dict[str, str]] = {}
    OmegaConf.register_new_resolver("hub", lambda k: facts["hub"][k], replace=True)
    OmegaConf.register_new_resolver("cluster", lambda k: facts["cluster"][k], replace=True)
    layers = {n: [read_layer(fleet.source, p) for p in layer_paths(fleet.hubs[n])] for n in names}
    t0 = time.perf_counter()
    for name in names:
        hub = fleet.hubs[name]
        cluster = fleet.cluster_of(hub)
        facts.update(hub=hub.facts(), cluster={"name": cluster.name, "provider": cluster.provider})
        merged = OmegaConf.merge(*(OmegaConf.create(layer) for layer in layers[name]))
        OmegaConf.to_container(merged, resolve=True)
    return _usage(t0, per_hub_s=(time.perf_counter() - t0) / len(names), sampled=len(names))


def _spread(items: list[str], n: int) -> list[str]:
    step = max(1, len(items) // max(1, n))
    return items[::step][:n]


# --- the parent ------------------------------------------------------------------------


def _child(root: Path, step: str, *extra: str) -> dict[str, Any]:
    argv = [sys.executable, "-m", "devtools.bench", "--child", step, "--root", str(root), *extra]
    t0 = time.perf_counter()
    done = run(argv, timeout=1800)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall_s"] = time.perf_counter() - t0  # what a user waits: interpreter, imports, work
    return figures


def _seed(root: Path, chart: Path | None) -> str:
    if chart is None:
        return "chart data absent (no ../shared, no $HUBFLEET_SHARED): values NOT checked against the schema"
    try:
        from hubfleet.adapters.charts import seed_cache
    except ImportError:
        return f"schema built from {chart} in each child (hubfleet.charts.seed_cache not available)"
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import load_fleet

    fleet = load_fleet(DirSource(root))
    seed_cache(root, fleet.config.charts[fleet.config.default_chart], chart)
    return f"chart cache seeded from {chart}"


def _find_helm(root: Path) -> str | None:
    try:
        from hubfleet.adapters.tools import find
    except ImportError:
        own = PROJECT / ".hubfleet" / "tools" / "bin" / "helm"
        return str(own) if os.access(own, os.X_OK) else shutil.which("helm")
    found = find("helm", root) or find("helm", PROJECT)
    return str(found) if found else None


def _tiny_chart(folder: Path, chart: Path | None) -> Path:
    """A local chart with the real schema and defaults and two small templates."""
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: jupyterhub\nversion: 4.4.0\n")
    if chart is not None:
        shutil.copyfile(chart / "values.schema.json", folder / "values.schema.json")
        shutil.copyfile(chart / "values.yaml", folder / "values.yaml")
    (folder / "templates" / "values.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-values\n"
        "  namespace: {{ .Release.Namespace }}\ndata:\n  values.yaml: |\n{{ toYaml .Values | indent 4 }}\n"
    )
    (folder / "templates" / "service.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: proxy-public\n"
        'spec:\n  type: {{ .Values.proxy.service.type | default "ClusterIP" }}\n'
        "  ports: [{name: http, port: 80, targetPort: 8000}]\n  selector: {release: {{ .Release.Name }}}\n"
    )
    return folder


def helm_template_per_hub(
    root: Path, helm: str | None, chart: Path | None, sample: int, work: Path
) -> dict[str, Any] | str:
    if helm is None:
        return "skipped: no helm (HUBFLEET_HELM, PATH or .hubfleet/tools/bin; `invoke setup` installs it)"
    from hubfleet.adapters.helm import helm_env, template_argv
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import load_fleet
    from hubfleet.core import paths
    from hubfleet.core.model import Chart

    folder = _tiny_chart(work / "tiny-chart", chart)
    local = Chart(key="bench", name="jupyterhub", path=str(folder))
    fleet = load_fleet(DirSource(root))
    names = _spread(sorted(fleet.hubs), sample)
    env = helm_env(root)
    t0 = time.perf_counter()
    for name in names:
        hub = fleet.hubs[name]
        argv = template_argv(hub, local, [paths.hub(hub.name).rendered], helm=helm)
        run(argv, env=env, cwd=root, timeout=120)
    return {"per_hub_s": (time.perf_counter() - t0) / len(names), "sampled": len(names), "helm": helm}


def plan_figures(root: Path) -> tuple[str, list[tuple[str, Any]]]:
    try:
        from devtools.bench_plan import bench_plan, bench_rollout
    except ImportError:
        return "plan/rollout figures: not available (hubfleet.bench_plan missing)", []
    rows: list[tuple[str, Any]] = []
    for label, fn in (("plan", lambda: bench_plan(root)), ("rollout", bench_rollout)):
        try:
            figures = fn()
        except Exception as e:  # a failing extra must not lose the figures above
            rows.append((label, f"failed: {type(e).__name__}: {e}"))
            continue
        items = figures.items() if isinstance(figures, dict) else [("result", figures)]
        rows += [(f"{label} {k}", v) for k, v in items]
    return "", rows


def _burn(seconds: float) -> float:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds


def free_cores() -> float:
    """How many cores two CPU-bound processes get right now (2.0 on an idle 2-core machine)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(2, mp_context=get_context("fork")) as pool:
        list(pool.map(_burn, [0.01, 0.01]))  # workers started before timing
        t0 = time.perf_counter()
        cpu = sum(pool.map(_burn, [0.5, 0.5]))
        return cpu / (time.perf_counter() - t0)


def _ok(good: bool) -> str:
    return "[green]PASS[/]" if good else "[red]MISS[/]"


def _one_hub_changed(root: Path, names: list[str], extra: list[str]) -> dict[str, Any]:
    """validate after one hub's layer changed (a comment line): that hub checked, the rest cached."""
    layer = root / "hubs" / names[len(names) // 2] / "values.yaml"
    before = layer.read_bytes()
    layer.write_bytes(before + b"# touched by the bench\n")
    try:
        return _child(root, "validate", *extra)
    finally:
        layer.write_bytes(before)


def staleness_figures(root: Path, extra: list[str]) -> dict[str, dict[str, Any]]:
    """Cold validate with and without the rendered files' check, alternating, best of five each;
    then with the check but no record from render (a fresh clone: every file's text written)."""
    from hubfleet.adapters.source import state_dir

    def cold(*more: str) -> dict[str, Any]:
        shutil.rmtree(state_dir(root) / "cache", ignore_errors=True)
        return _child(root, "validate", *extra, *more)

    runs: dict[str, list[dict[str, Any]]] = {"with": [], "without": []}
    for _ in range(5):  # the difference is a few percent: one noisy run must not decide it
        runs["with"].append(cold())
        runs["without"].append(cold("--no-rendered"))
    best = {k: min(v, key=lambda f: f["wall_s"]) for k, v in runs.items()}
    record = state_dir(root) / "rendered.json"
    saved = record.read_bytes() if record.is_file() else None
    record.unlink(missing_ok=True)
    try:
        best["no record"] = cold()
    finally:
        if saved is not None:
            record.write_bytes(saved)
    return best


def report(
    n: int,
    cold: dict,
    warm: dict,
    rend: dict,
    naive: dict,
    helm: dict | str,
    cores: float,
    one: dict,
    stale: dict[str, dict[str, Any]],
) -> Table:
    from rich.table import Table

    t = Table(title=f"hubfleet bench: {n} hubs", title_justify="left")
    for col in ("measure", "wall s", "work s", "CPU s", "peak MB", "per hub ms", "target", ""):
        t.add_column(col, justify="left" if col in ("measure", "target") else "right")

    def row(label: str, f: dict, target: str = "", status: str = "") -> None:
        per = f"{1000 * f['inner_s'] / n:.2f}"
        t.add_row(
            label,
            f"{f['wall_s']:.2f}",
            f"{f['inner_s']:.2f}",
            f"{f['cpu_s']:.2f}",
            f"{f['rss_mb']:.0f}",
            per,
            target,
            status,
        )

    row("validate, cold (cache cleared)", cold, "<= 2 s", _ok(cold["wall_s"] <= 2))
    faster = cold["wall_s"] / warm["wall_s"]
    row("validate, warm (nothing changed)", warm, f"{faster:.1f}x faster than cold (>= 4x)", _ok(faster >= 4))
    row("validate, one hub's layer changed", one)
    base = stale["without"]
    for label, key in (
        ("validate cold, rendered check (best of 5)", "with"),
        ("  ... no render record", "no record"),
    ):
        f = stale[key]
        extra, cpu = f["wall_s"] / base["wall_s"] - 1, f["cpu_s"] / base["cpu_s"] - 1
        target = f"{extra:+.1%} wall, {cpu:+.1%} CPU vs without"
        if key == "with":
            row(label, f, target + " (<= +5%)", _ok(extra <= 0.05))
        else:
            row(label, f, target + " (a fresh clone)")
    row("validate cold, no rendered check (best of 5)", base)
    row(f"render all (write {rend['written']}, {rend['write_s']:.2f} s)", rend)
    t.add_row("render --check (compare only)", "", f"{rend['check_s']:.2f}", "", "", "", "", "")
    used = cold["cpu_s"] / cold["inner_s"]
    target = f"> 1.3x (cores free during the run: {cores:.1f})"
    busy = "[yellow]BUSY[/]" if cores < 1.6 else ""  # others hold a core: the figure says nothing
    t.add_row(
        "cold validate CPU/work (both cores)",
        "",
        "",
        f"{used:.2f}x",
        "",
        "",
        target,
        _ok(True) if used > 1.3 else busy or _ok(False),
    )
    naive_total = naive["per_hub_s"] * n
    t.add_row(
        f"naive OmegaConf merge ({naive['sampled']} hubs, x{n})",
        f"{naive_total:.1f}",
        "",
        "",
        f"{naive['rss_mb']:.0f}",
        f"{1000 * naive['per_hub_s']:.1f}",
        f"{naive_total / cold['wall_s']:.0f}x cold validate",
        "",
    )
    if isinstance(helm, str):
        t.add_row("helm template per hub", "", "", "", "", "", helm, "[yellow]SKIP[/]")
    else:
        total = helm["per_hub_s"] * n
        ratio = total / cold["wall_s"]
        t.add_row(
            f"helm template per hub ({helm['sampled']} hubs, x{n})",
            f"{total:.1f}",
            "",
            "",
            "",
            f"{1000 * helm['per_hub_s']:.1f}",
            f"cold validate {ratio:.0f}x faster (>= 50x)",
            _ok(ratio >= 50),
        )
    return t


def startup_line() -> str:
    """What every validate pays before reading a file: the interpreter, then validate's imports."""

    def best(code: str) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            run([sys.executable, "-c", code], timeout=60)
            times.append(time.perf_counter() - t0)
        return min(times)

    bare, loaded = best("pass"), best("import hubfleet.app.validaterun")
    return (
        f"start-up: python alone {bare:.3f} s, with validate's imports {loaded:.3f} s "
        "(`python -X importtime -c 'import hubfleet.app.validaterun'` lists them)"
    )


def status_figures(root: Path, n: int) -> Table:
    from rich.table import Table

    """`hubfleet status` (table and --json) as a user runs it: a fresh process, output discarded.

    Target: 2000 hubs print in under a second without --live (issue 13). The best of three runs,
    wall and CPU (its own and git's): on a busy machine the CPU figure is the steadier one."""
    exe = Path(sys.executable).with_name("hubfleet")
    t = Table(title=f"invoke status: {n} hubs (and their clusters' support releases)", title_justify="left")
    for col in ("measure", "wall s", "CPU s", "rows", "target", ""):
        t.add_column(col, justify="left" if col in ("measure", "target") else "right")
    for label, extra in (("hubfleet status", []), ("hubfleet status --json", ["--json"])):
        runs = []
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            done = run([str(exe), "status", *extra], cwd=root, timeout=600)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            runs.append((wall, cpu))
        rows = len(json.loads(done.stdout)) if extra else len(done.stdout.splitlines()) - 1
        wall, cpu = min(runs)
        t.add_row(label, f"{wall:.2f}", f"{cpu:.2f}", str(rows), "< 1 s", _ok(wall < 1))
    return t


def bench(args: argparse.Namespace) -> int:
    from rich.table import Table

    from devtools import synth

    chart = shared_chart()
    work = Path(args.root) if args.root else Path(tempfile.mkdtemp(prefix="hubfleet-bench-"))
    root = work / "fleet"
    helm = _find_helm(root)  # before HUBFLEET_STATE moves: the project's own tools count
    chp = _find_chp()  # likewise: the test hubs' proxy is where `invoke setup` put it
    os.environ["HUBFLEET_STATE"] = str(work / "state")  # the children's caches, never the user's
    t0 = time.perf_counter()
    names = synth.generate(root, args.clusters, args.hubs_per_cluster)
    console.print(
        f"generated {len(names)} hubs on {args.clusters} clusters in {root} "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    console.print(_seed(root, chart))
    extra = ["--chart", str(chart)] if chart else []
    cores = free_cores()
    # cold: no validate cache, no compiled schema
    from hubfleet.adapters.source import state_dir

    rend = _child(root, "render")  # every rendered file written (the staleness check reads them)
    shutil.rmtree(state_dir(root) / "cache", ignore_errors=True)
    cold = _child(root, "validate", *extra)
    warm = _child(root, "validate", *extra)
    one = _one_hub_changed(root, names, extra)
    stale = staleness_figures(root, extra)
    for label, f in (("cold", cold), ("warm", warm), ("one hub changed", one), *stale.items()):
        if f["errors"]:
            console.print(f"[red]{label} validate found {f['errors']} error(s), e.g. {f['first']}[/]")
    naive = _child(root, "omegaconf", "--sample", str(args.sample))
    helm_figures = helm_template_per_hub(root, helm, chart, args.sample, work)
    cores = min(cores, free_cores())  # before and after: others' work comes and goes
    console.print(report(len(names), cold, warm, rend, naive, helm_figures, cores, one, stale))
    console.print(startup_line())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    console.print(
        f"{os.cpu_count()} cores, load average {load} (other work on the machine slows every figure)"
    )
    if args.skip_plan:
        note, rows = "plan/rollout figures: skipped (--skip-plan)", []
    else:
        synth.commit(root, run)
        console.print(status_figures(root, len(names)))  # with git history to read
        note, rows = plan_figures(root)
    if note:
        console.print(note)
    if rows:
        extra_table = Table(title="plan and rollout (hubfleet.bench_plan)", title_justify="left")
        extra_table.add_column("figure")
        extra_table.add_column("value", justify="right")
        for k, v in rows:
            extra_table.add_row(k, str(v))
        console.print(extra_table)
    if args.skip_hubs:
        console.print("test-hub start-up figures: skipped (--skip-hubs)")
    else:
        console.print(hub_startup_table(args.hub_rounds, chp))
    if args.skip_kube:
        console.print("rollout on real control planes: skipped (--skip-kube)")
    else:
        console.print(kube_rollout_table(work, helm, chart, args.kube_hubs))
    if not args.root:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def kube_rollout_table(work: Path, helm: str | None, chart: Path | None, per_cluster: int) -> Table | str:
    """`hubfleet deploy` of 3 x `per_cluster` hubs over three local control planes (bench_kube)."""
    from rich.table import Table

    from devtools.bench_kube import kube_rollout
    from hubfleet.adapters import kubebin

    binary = kubebin.find(PROJECT)
    repo = chart.parent / "repo" if chart else None
    why = (
        "no test-cluster binary (`invoke setup --kube`)"
        if binary is None
        else "no helm"
        if helm is None
        else "no ../shared/charts/repo"
        if repo is None or not (repo / "index.yaml").is_file()
        else ""
    )
    if why:
        return f"rollout on real control planes: skipped ({why}; --skip-kube skips it quietly)"
    assert binary is not None and helm is not None and repo is not None
    figures = kube_rollout(work, binary, helm, repo, clusters=3, per_cluster=per_cluster)
    table = Table(title="rollout on real control planes (devtools/bench_kube.py)", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, v in figures.items():
        table.add_row(k, ", ".join(f"{a} {b}" for a, b in v.items()) if isinstance(v, dict) else str(v))
    return table


def _find_chp() -> str | None:
    """configurable-http-proxy as the project finds it (PATH, its `.hubfleet/node`, the user cache),
    looked up while HUBFLEET_STATE is still the caller's."""
    from hubfleet.core.errors import HubfleetError

    try:
        from hubfleet.testing.components import find_chp

        return str(find_chp(PROJECT))
    except (HubfleetError, ImportError):
        return None  # the child says so, in its own words


def hub_startup_table(rounds: int, chp: str | None = None) -> Table | str:
    """The pytest plugin's test hubs against MockHub, medians from one child process; `chp`: the
    proxy found before HUBFLEET_STATE moved to the bench's work folder (the child's state)."""
    import importlib.util

    if importlib.util.find_spec("jupyterhub") is None:
        return "test-hub start-up figures: JupyterHub is not installed (pip install '.[components]')"
    argv = [sys.executable, "-m", "devtools.bench_hubs", "--rounds", str(rounds)]
    env = {**os.environ, **({"HUBFLEET_CHP": chp} if chp else {})}
    done = run(argv, timeout=1800, cwd=PROJECT, env=env)
    f = json.loads(done.stdout.strip().splitlines()[-1])
    from rich.table import Table

    table = Table(
        title=f"test-hub start-up, JupyterHub {f['jupyterhub']}, median of {f['rounds']} rounds",
        title_justify="left",
    )
    for col in ("hub", "start-up", "vs MockHub", "target"):
        table.add_column(col, justify="left" if col == "hub" else "right")
    mock = f["mockhub"]
    rows = (
        ("MockHub (jupyterhub.tests, the old harness)", "mockhub", ""),
        ("hub_app (public JupyterHub, test's loop)", "hub_app", "<= 1.5x"),
        ("make_hub() in-process (hub thread)", "make_hub", "<= 1.5x"),
        ("make_hub(process=True)", "make_hub_process", ""),
    )
    for label, key, target in rows:
        ratio = f[key] / mock
        status = "" if not target else (" PASS" if ratio <= 1.5 else " MISS")
        table.add_row(label, f"{f[key]:.2f} s", f"{ratio:.2f}x", target + status)
    if "first:hubfleet" in f:  # a fresh pytest session's first test, each plugin
        theirs, ours = f["first:pytest-jupyterhub"], f["first:hubfleet"]
        ratio = ours / theirs
        table.add_row(
            "first test of a session: pytest-jupyterhub's hub_app (MockHub)", f"{theirs:.2f} s", "", ""
        )
        table.add_row(
            "first test of a session: hubfleet's hub_app",
            f"{ours:.2f} s",
            f"{ratio:.2f}x",
            "<= 1.5x" + (" PASS" if ratio <= 1.5 else " MISS"),
        )
        walls = f"{f['first-wall:hubfleet']:.2f} s / {f['first-wall:pytest-jupyterhub']:.2f} s"
        table.add_row("  whole pytest run of that test: hubfleet / pytest-jupyterhub", walls, "", "")
    return table


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m hubfleet.bench", description=__doc__.splitlines()[0])
    p.add_argument("--clusters", type=int, default=100, help="clusters in the synthetic fleet")
    p.add_argument("--hubs-per-cluster", type=int, default=20, help="hubs per cluster (one is staging)")
    p.add_argument("--sample", type=int, default=20, help="hubs timed for the per-hub baselines")
    p.add_argument("--root", help="work folder to keep (default: a temporary one, removed)")
    p.add_argument("--skip-plan", action="store_true", help="skip the git commit and plan/rollout figures")
    p.add_argument("--skip-hubs", action="store_true", help="skip the test-hub start-up figures")
    p.add_argument("--hub-rounds", type=int, default=5, help="start-ups of each test-hub kind")
    p.add_argument(
        "--skip-kube", action="store_true", help="skip the rollout on real control planes (no binary)"
    )
    p.add_argument("--kube-hubs", type=int, default=20, help="hubs per control plane (3 of them)")
    p.add_argument("--child", choices=("validate", "render", "omegaconf"), help=argparse.SUPPRESS)
    p.add_argument("--chart", help=argparse.SUPPRESS)
    p.add_argument("--no-rendered", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        root, chart = Path(args.root), Path(args.chart) if args.chart else None
        steps = {
            "validate": lambda: child_validate(root, chart, not args.no_rendered),
            "render": lambda: child_render(root),
            "omegaconf": lambda: child_omegaconf(root, args.sample),
        }
        print(json.dumps(steps[args.child]()))
        return 0
    if args.root and (Path(args.root) / "fleet").exists():
        console.print(f"{args.root}/fleet exists: give a new --root")
        return 1
    saved = os.environ.get("HUBFLEET_STATE")
    try:
        return bench(args)
    finally:
        if saved is None:
            os.environ.pop("HUBFLEET_STATE", None)
        else:
            os.environ["HUBFLEET_STATE"] = saved


if __name__ == "__main__":
    sys.exit(main())
