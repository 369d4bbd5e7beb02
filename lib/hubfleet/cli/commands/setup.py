"""`invoke setup`: install the tools hubfleet runs where missing, say what was found, and write the
editor schemas."""

from __future__ import annotations

from pathlib import Path

from hubfleet.adapters import charts, tools
from hubfleet.adapters.source import find_root
from hubfleet.app.load import load_work_tree
from hubfleet.cli.boundary import console, err_console
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError


def run(seed: str | list[str] | None = None, kube: bool = False) -> int:
    root = find_root()
    if kube:
        _kube(root)
    for name, ensure in (("helm", tools.ensure_helm), ("sops", tools.ensure_sops)):
        found = tools.find(name, root)
        if found:
            console.print(f"{name}: {found}", markup=False)
        else:
            console.print(f"{name}: installed {ensure(root)}", markup=False)
    _chp(root)
    seeds = [seed] if isinstance(seed, str) else list(seed or [])
    if seeds:
        _, fleet = load_work_tree(root)
    for one in seeds:
        key, _, folder = one.partition("=")
        if key not in fleet.config.charts or not folder:
            raise HubfleetError(
                f"--seed-chart {one}: use KEY=DIR or KEY=CHART.tgz with KEY one of: "
                f"{', '.join(fleet.config.charts)}"
            )
        chart, path = fleet.config.charts[key], Path(folder).resolve()
        entry = charts.seed_cache(root, chart, path)
        if folder.endswith(".tgz") or charts.is_chart_folder(path):
            console.print(f"chart {key}: the whole chart seeded from {folder} into {entry}", markup=False)
        else:
            console.print(
                f"chart {key}: only its schema and defaults seeded from {folder} (no Chart.yaml and "
                f"templates/ there): enough for `invoke validate`, not for `--deep` or `deploy`; "
                f"{charts.seed_command(chart)} or a chart folder seeds the whole chart",
                markup=False,
            )
    editor_schemas(root)
    return 0


def editor_schemas(root: Path) -> None:
    """JSON Schemas for editors (`.vscode/settings.json` maps the fleet's files to them)."""
    from hubfleet.app.editor import VSCODE_SETTINGS, update_vscode_settings, write_schemas

    _, fleet = load_work_tree(root)
    written, warnings = write_schemas(root, fleet)
    for line in warnings:
        err_console.print(line, style="yellow", markup=False)
    console.print(f"editor schemas: {len(written)} file(s) in {root / paths.SCHEMAS}", markup=False)
    if update_vscode_settings(root, fleet):
        console.print(f"{VSCODE_SETTINGS}: schema mappings updated (commit it)", markup=False)


def _kube(root: Path) -> None:
    """The test clusters' control-plane binary, built from kubebin/ once (tens of minutes cold)."""
    from hubfleet.adapters import kubebin

    found = kubebin.find(root)
    if found is None:
        console.print("test-cluster binary: building kubebin/ with Go (once; long)...", markup=False)
        found = kubebin.build(root)
    digest = found.with_name(kubebin.BINARY + ".sha256")
    sha = digest.read_text().split()[0] if digest.is_file() else "(not recorded: HUBFLEET_KUBE)"
    console.print(f"test-cluster binary: {found} (sha256 {sha})", markup=False)


def _chp(root: Path) -> None:
    """configurable-http-proxy, the proxy of local hubs."""
    from hubfleet.local.install import ensure_chp

    got = ensure_chp(root)
    console.print(f"configurable-http-proxy: {got}", markup=False)
