"""Fuzz loading, rendering and validation for a bounded time: any traceback is a bug (not shipped).

`python -m devtools.fuzz --seconds 120 [--seed N]` (`nox -s fuzz`). Each case is the example fleet
in memory (`MappingSource`: nothing touches the disk) with one to four of its files mutated:
YAML-special text and scalars spliced in (the differential corpus's edge cases, control
characters, deep nesting, anchors and aliases, interpolations of every form, truncation, byte
flips). Every case is loaded, rendered and validated (the real jupyterhub chart schema when
`../shared` has it, as CI does). An expected problem is a `HubfleetError` (one located line each);
anything else is recorded with its traceback and the case that caused it, and the run exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the differential corpus's scalars

SPLICES = [
    "${hub:name}",
    "${hub:}",
    "${cluster:nope}",
    "${a.b.c}",
    "\\${HOME}",
    "${oc.env:HOME}",
    "${oc.deprecated:x}",
    "${oc.select:hub,1}",
    "${${hub:name}}",
    "???",
    "${",
    "}",
    "${.x}",
    ": ",
    " - ",
    "- ",
    "? ",
    "&a ",
    "*a",
    "*b",
    "<<: *a",
    "!!binary",
    "!!int",
    "!foo",
    "!!str",
    "%YAML 1.1",
    "---",
    "...",
    "|",
    ">",
    "'",
    '"',
    "#",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\t",
    "\x00",
    "\x07",
    "\x1b",
    "\ufeff",
    "\u2028",
    "é",
    "\\",
    "\n",
    "\n  ",
    "\n- ",
    "~",
    "null",
    "y",
    "n",
    "on",
    "0o17",
    "2222:22",
    "1e3",
    ".nan",
    ".inf",
    "08",
    "0x1F",
    "1_000",
    "9223372036854775808",
    "2024-01-01",
    "kube-system",
    "default",
    "hubs/../..",
    "/etc/passwd",
    "waive:\n  allow-all: ' '",
    'namespace: "x\\n"',
]


def scalars() -> list[str]:
    try:
        from helpers.yamlcorpus import SCALARS
    except ImportError:  # pragma: no cover - run from a copy without the tests
        return []
    return list(SCALARS)


def fleet_files() -> dict[str, bytes]:
    """The example fleet (fleet.yaml, clusters/, hubs/ minus their tests) as bytes by path."""
    files: dict[str, bytes] = {"fleet.yaml": (ROOT / "fleet.yaml").read_bytes()}
    for top in ("clusters", "hubs"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and "tests" not in path.parts and "__pycache__" not in path.parts:
                files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    return files


def mutate(data: bytes, rng: random.Random, pool: list[str]) -> bytes:
    text = data.decode("utf-8", "replace")
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        at = rng.randint(0, len(text))
        if kind < 0.45:
            text = text[:at] + rng.choice(pool) + text[at:]
        elif kind < 0.6:  # a line replaced by `key: <scalar>` at its indentation
            lines = text.splitlines(keepends=True) or [""]
            i = rng.randrange(len(lines))
            indent = len(lines[i]) - len(lines[i].lstrip(" "))
            lines[i] = " " * indent + f"{rng.choice(pool)}: {rng.choice(pool)}\n"
            text = "".join(lines)
        elif kind < 0.7:
            depth = rng.choice([5, 70, 400, 1200])
            text += "deep: " + "[" * depth + "1" + "]" * depth + "\n"
        elif kind < 0.78:
            text = text[:at]  # truncated
        elif kind < 0.86:  # a repeated block
            lines = text.splitlines(keepends=True)
            if lines:
                i = rng.randrange(len(lines))
                text = "".join(lines[: i + 1] + lines[i : i + rng.randint(1, 5)] + lines[i + 1 :])
        elif kind < 0.93:
            text += (
                "custom:\n  l0: "
                + "x" * 32
                + "\n"
                + "".join(
                    f"  l{i}: ${{custom.l{i - 1}}}${{custom.l{i - 1}}}\n"
                    for i in range(1, rng.randint(2, 30))
                )
            )
        else:
            raw = bytearray(text.encode("utf-8", "replace"))
            if raw:
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            return bytes(raw)
    return text.encode("utf-8", "replace")


def schema_for_jupyterhub() -> Callable[[object], object] | None:
    """The real jupyterhub 4.4.0 schema and defaults from ../shared (as CI seeds them), else none."""
    import json
    import tempfile

    import yaml

    from hubfleet.core.chartschema import ChartSchema

    chart = ROOT.parent / "shared" / "charts" / "jupyterhub-4.4.0"
    if not (chart / "values.schema.json").is_file():
        return None
    schema = ChartSchema(
        json.loads((chart / "values.schema.json").read_text()),
        yaml.safe_load((chart / "values.yaml").read_text()),
        Path(tempfile.mkdtemp(prefix="hubfleet-fuzz-")),
    )
    return lambda chart_key: schema


def one_case(files: dict[str, bytes], schema: Callable[[object], object] | None) -> None:
    """Load, render every hub, validate every hub: raises only what is not a HubfleetError."""
    from hubfleet.adapters.source import MappingSource
    from hubfleet.app.load import load_fleet
    from hubfleet.app.render import render_hub
    from hubfleet.app.validate import check_hub
    from hubfleet.core.errors import HubfleetError

    try:
        fleet = load_fleet(MappingSource(files, label="fuzz"))
    except HubfleetError:
        return
    for name, hub in fleet.hubs.items():
        if name in fleet.broken_hubs:
            continue
        with contextlib.suppress(HubfleetError):
            render_hub(fleet, hub)
        check_hub(fleet, name, schema(hub.chart) if schema else None)  # problems are returned


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="time budget (default 120)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the time)")
    parser.add_argument("--max-cases", type=int, default=0, help="stop after this many cases (0: no limit)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    base = fleet_files()
    pool = SPLICES + scalars()
    schema = schema_for_jupyterhub()
    yaml_files = [p for p in base if p.endswith((".yaml", ".yml"))]
    deadline = time.monotonic() + args.seconds
    cases = tracebacks = 0
    shown: set[str] = set()
    while time.monotonic() < deadline and not (args.max_cases and cases >= args.max_cases):
        files = dict(base)
        for path in rng.sample(yaml_files, rng.randint(1, 4)):
            files[path] = mutate(files[path], rng, pool)
        cases += 1
        try:
            one_case(files, schema)
        except RecursionError:
            tracebacks += 1
            print(f"case {cases}: RecursionError", file=sys.stderr)
        except Exception:
            tracebacks += 1
            text = traceback.format_exc()
            key = text.strip().splitlines()[-1]
            if key not in shown:
                shown.add(key)
                changed = {p: files[p][:400] for p in files if files[p] != base.get(p)}
                print(f"--- case {cases} (seed {seed}): {key}\n{text}files: {changed!r}\n", file=sys.stderr)
    summary = f"fuzz: {cases} cases in {args.seconds:g} s (seed {seed}): {tracebacks} traceback(s)"
    print(summary)
    return 1 if tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
