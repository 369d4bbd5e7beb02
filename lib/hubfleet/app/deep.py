"""`invoke validate --deep`: template a hub with real Helm, check each manifest offline.

Manifests are checked against the Kubernetes OpenAPI schemas bundled with the
`kubernetes-validate` package (strict: unknown fields are errors), so a values
typo that the chart's schema lets through but Kubernetes would reject is caught
before any cluster sees it. Secrets are not decrypted: CI has no keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from hubfleet.adapters import charts, helm
from hubfleet.adapters.runner import Runner, run
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError, Problem
from hubfleet.core.model import Fleet

__all__ = ["check_manifests", "deep_check"]


def _name(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    return f"{doc.get('kind', '?')}/{meta.get('name', '?') if isinstance(meta, dict) else '?'}"


def check_manifests(docs: Iterable[Any], file: str, version: str | None = None) -> list[Problem]:
    """Pure over parsed manifests: one Problem per invalid (error) or unknown (warning) kind."""
    import kubernetes_validate as kv

    version = version or kv.latest_version()
    out: list[Problem] = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        if "apiVersion" not in doc or "kind" not in doc:
            out.append(Problem(file, f"helm template: a manifest without apiVersion/kind: {_name(doc)}"))
            continue
        try:
            kv.validate(doc, version, strict=True)
        except kv.SchemaNotFoundError:
            msg = f"helm template: {_name(doc)}: no Kubernetes {version} schema for {doc['apiVersion']}"
            out.append(Problem(file, msg + " (a custom resource?): not checked", severity="warning"))
        except kv.ValidationError as e:
            where = ".".join(str(p) for p in e.absolute_path)
            where = f" at {where}" if where else ""
            message = e.message.splitlines()[0]
            out.append(Problem(file, f"helm template: {_name(doc)}{where}: {message} (Kubernetes {version})"))
    return out


def deep_check(root: Path, fleet: Fleet, hub_name: str, runner: Runner = run) -> list[Problem]:
    """Template the hub (rendered values, its chart) and check every manifest."""
    hub = fleet.hub(hub_name)
    file = paths.hub(hub.name).rendered
    if fleet.cluster_of(hub).is_local:
        return []
    try:
        chart = fleet.chart_of(hub)
        folder = charts.chart_dir(root, chart, runner=runner)
        done = helm.template(root, hub, chart, [file], chart_folder=folder, runner=runner)
        docs = list(yaml.safe_load_all(done.stdout))
    except HubfleetError as e:
        return [Problem(file, str(e))]
    except yaml.YAMLError as e:
        return [Problem(file, f"helm template printed invalid YAML: {e}")]
    return check_manifests(docs, file)
