"""`invoke validate --server`: the selected hubs' and their clusters' support releases' manifests,
submitted to a throwaway test cluster as a server-side dry run.

Each release is templated with real Helm from its rendered values (secrets are not decrypted:
CI has no keys, as for `--deep`); a control plane without nodes starts in a temp folder and dies
with this process; the fleet's CRDs (from the support charts) are installed for real and waited
on until Established, the namespaces created; then every other object is submitted as a
server-side apply with `dryRun=All&fieldValidation=Strict`, so the API server's own validation
(quantities, label values, name lengths, unknown fields, a custom resource's CRD schema) decides.
Two releases claiming one object are found by the pure core before anything is submitted.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hubfleet.adapters import charts, helm
from hubfleet.adapters.kubeapi import KubeAPI, Resource
from hubfleet.app.testcluster import binary
from hubfleet.core import paths
from hubfleet.core import serverside as ss
from hubfleet.core.errors import HubfleetError, Problem
from hubfleet.core.model import Fleet
from hubfleet.core.support import SupportTarget
from hubfleet.core.testcluster import KUBE_VERSION
from hubfleet.local.testcluster import ControlPlane

__all__ = ["Release", "ServerRun", "releases_for", "server_problems"]

NOT_DECRYPTED = "secrets not decrypted (CI has no keys): each release templated without its secrets.yaml"


@dataclass(frozen=True)
class Release:
    owner: str  # hub name, or cluster/release
    file: str  # its rendered values
    cluster: str
    target: Any  # a Hub or a SupportRelease (both have .release, .namespace, .chart)


@dataclass
class ServerRun:
    problems: list[Problem]
    releases: int
    objects: int


def releases_for(fleet: Fleet, hubs: Sequence[str], support: Sequence[SupportTarget]) -> list[Release]:
    """Pure: the releases submitted, each cluster's support releases first (their order on the cluster)."""
    out = [Release(t.id, paths.support(t.cluster, t.name).rendered, t.cluster, t.release) for t in support]
    for name in hubs:
        hub = fleet.hub(name)
        if not fleet.cluster_of(hub).is_local:
            out.append(Release(hub.name, paths.hub(hub.name).rendered, hub.cluster, hub))
    return out


def server_problems(root: Path, fleet: Fleet, releases: Sequence[Release]) -> ServerRun:
    """Template, find conflicts, then per set of clusters with the same CRDs (`core.serverside.
    crd_groups`): start a test cluster, install CRDs and namespaces, dry-run the rest."""
    with tempfile.TemporaryDirectory(prefix="hubfleet-validate-") as tmp:

        def plane_for(n: int) -> ControlPlane:
            return ControlPlane(
                f"validate{n or ''}", Path(tmp) / f"cluster{n or ''}", binary(root), die_with_parent=True
            )

        plane = plane_for(0)
        try:
            # Helm templates while the first control plane starts. A plane starts in this thread:
            # its processes die with the thread that started them (PR_SET_PDEATHSIG).
            with ThreadPoolExecutor(1) as helm_side:
                templated = helm_side.submit(_template_all, root, fleet, releases)
                plane.start()
                objects, problems = templated.result()
            for n, part in enumerate(ss.crd_groups(objects)):
                if n:  # another cluster's CRDs: a fresh API server, none of the last one's left
                    plane.stop()
                    plane = plane_for(n)
                    plane.start()
                problems += _submit_to(plane, part)
        finally:
            plane.stop()
    return ServerRun(problems, len(releases), len(objects))


def _submit_to(plane: ControlPlane, objects: list[ss.Owned]) -> list[Problem]:
    api = KubeAPI(plane.server, plane.token, plane.ca_pem)
    try:
        return _submit(api, objects)
    finally:
        api.close()


def _template_all(
    root: Path, fleet: Fleet, releases: Sequence[Release]
) -> tuple[list[ss.Owned], list[Problem]]:
    with ThreadPoolExecutor(4) as pool:  # helm runs outside the GIL
        done = list(pool.map(lambda r: _template(root, fleet, r), releases))
    objects = [o for found, _ in done for o in found]
    return objects, [p for _, found in done for p in found]


def _template(root: Path, fleet: Fleet, r: Release) -> tuple[list[ss.Owned], list[Problem]]:
    try:
        chart = fleet.config.charts[r.target.chart]
        folder = charts.chart_dir(root, chart)
        done = helm.template(root, r.target, chart, [r.file], chart_folder=folder, include_crds=True)
        docs = list(yaml.safe_load_all(done.stdout))
    except HubfleetError as e:
        return [], [Problem(r.file, f"--server: {e}", hub=r.owner)]
    except yaml.YAMLError as e:
        return [], [Problem(r.file, f"--server: helm template printed invalid YAML: {e}", hub=r.owner)]
    return ss.collect(r.owner, r.file, r.cluster, r.target.namespace, docs), []


def _submit(api: KubeAPI, objects: list[ss.Owned]) -> list[Problem]:
    problems: list[Problem] = []
    found = api.resources()
    problems += _install_crds(api, found, ss.crds(objects))
    found = _discover_after_crds(api, objects, found)

    def scope(ref: ss.ObjectRef) -> bool | None:
        res = found.get((ref.group, ref.version, ref.kind))
        return None if res is None else res.namespaced

    problems += [_problem(o, "", msg) for o, msg in ss.conflicts(objects, scope)]
    namespaces = found[("", "v1", "Namespace")]
    for ns in ss.namespaces_needed(objects, scope):
        api.create(namespaces, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    rest = [o for o in objects if (o.ref.group, o.ref.kind) != ss.CRD]
    with ThreadPoolExecutor(8) as pool:
        for found_problems in pool.map(lambda o: _dry_run(api, found, o), rest):
            problems += found_problems
    return problems


def _install_crds(
    api: KubeAPI, found: dict[tuple[str, str, str], Resource], crds: list[ss.Owned]
) -> list[Problem]:
    res = found[("apiextensions.k8s.io", "v1", "CustomResourceDefinition")]
    problems: list[Problem] = []
    made = []
    for o in crds:
        status, body = api.create(res, o.doc)
        if status in (200, 201):
            made.append(o.ref.name)
        else:
            problems += _rejected(o, body)
    late = api.wait_established(res, made)
    return problems + [
        _problem(o, "", "not Established in 60 s on the test cluster") for o in crds if o.ref.name in late
    ]


def _discover_after_crds(
    api: KubeAPI, objects: list[ss.Owned], found: dict[tuple[str, str, str], Resource]
) -> dict[tuple[str, str, str], Resource]:
    """Discovery again until every kind the objects name that a new CRD serves is listed (bounded;
    a kind no CRD here defines is not waited for: it is refused at once)."""
    served = {(spec.get("group"), (spec.get("names") or {}).get("kind")) for spec in _crd_specs(objects)}
    wanted = {
        (o.ref.group, o.ref.version, o.ref.kind) for o in objects if (o.ref.group, o.ref.kind) in served
    }
    deadline = time.monotonic() + 10.0
    while True:
        missing = wanted - found.keys()
        if not missing or time.monotonic() > deadline:
            return found
        found = api.resources()
        if not wanted - found.keys():
            return found
        time.sleep(0.2)


def _crd_specs(objects: list[ss.Owned]) -> list[dict[str, Any]]:
    return [o.doc["spec"] for o in ss.crds(objects) if isinstance(o.doc.get("spec"), dict)]


def _dry_run(api: KubeAPI, found: dict[tuple[str, str, str], Resource], o: ss.Owned) -> list[Problem]:
    ref = o.ref
    res = found.get((ref.group, ref.version, ref.kind))
    if res is None:
        api_version = f"{ref.group}/{ref.version}" if ref.group else ref.version
        return [
            _problem(
                o,
                "",
                f"no kind {ref.kind} in {api_version} on Kubernetes {KUBE_VERSION} "
                f"(nor in the CRDs of cluster {o.cluster}'s releases)",
            )
        ]
    if not ref.name:
        return [_problem(o, "metadata.name", "missing")]
    status, body = api.dry_run_apply(res, o.doc, ref.name, o.placed(res.namespaced).namespace)
    return [] if status in (200, 201) else _rejected(o, body)


def _rejected(o: ss.Owned, body: Any) -> list[Problem]:
    return [_problem(o, field, message) for field, message in ss.causes(body)]


def _problem(o: ss.Owned, field: str, message: str) -> Problem:
    where = f" {field}:" if field else ""
    return Problem(o.file, f"--server: {o.ref.shown}:{where} {message}", hub=o.owner)
