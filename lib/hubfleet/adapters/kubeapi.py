"""The Kubernetes API over HTTPS, as `validate --server` needs it: discovery, create, a server-side
apply dry run. One connection pool per API server (hundreds of dry runs reuse its TLS sessions)."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from hubfleet.core.errors import HubfleetError

__all__ = ["KubeAPI", "Resource"]

FIELD_MANAGER = "hubfleet-validate"


@dataclass(frozen=True)
class Resource:
    path: str  # the collection's path without namespace: /apis/GROUP/VERSION or /api/v1, then the name
    plural: str
    namespaced: bool


class KubeAPI:
    def __init__(self, server: str, token: str, ca_pem: str, timeout: float = 30.0) -> None:
        ctx = ssl.create_default_context(cadata=ca_pem)
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        self._http = httpx.Client(
            base_url=server,
            verify=ctx,
            timeout=timeout,
            limits=limits,
            headers={"Authorization": f"Bearer {token}"},
        )
        self._server = server

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        try:
            r = self._http.request(method, path, **kw)
        except httpx.HTTPError as e:
            raise HubfleetError(f"test cluster at {self._server}: {method} {path}: {e}") from None
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, r.text

    # --- discovery ----------------------------------------------------------------------

    def resources(self) -> dict[tuple[str, str, str], Resource]:
        """(group, version, kind) -> its resource, for every served group version."""
        versions = ["/api/v1"]
        status, groups = self.request("GET", "/apis")
        if status != 200 or not isinstance(groups, dict):
            raise HubfleetError(f"test cluster: API discovery failed ({status})")
        for g in groups.get("groups") or []:
            versions += [f"/apis/{v['groupVersion']}" for v in g.get("versions") or []]
        out: dict[tuple[str, str, str], Resource] = {}
        for base in versions:
            status, doc = self.request("GET", base)
            if status != 200 or not isinstance(doc, dict):
                continue  # a group version that went away meanwhile
            group, _, version = str(doc.get("groupVersion", "")).rpartition("/")
            for r in doc.get("resources") or []:
                if "/" in r["name"]:
                    continue  # a subresource
                out.setdefault((group, version, r["kind"]), Resource(base, r["name"], bool(r["namespaced"])))
        return out

    # --- objects ------------------------------------------------------------------------

    def create(self, res: Resource, doc: Mapping[str, Any], namespace: str = "") -> tuple[int, Any]:
        return self.request("POST", _collection(res, namespace), json=doc)

    def dry_run_apply(
        self, res: Resource, doc: Mapping[str, Any], name: str, namespace: str = ""
    ) -> tuple[int, Any]:
        """Server-side apply, dry run, unknown or duplicate fields refused (`fieldValidation=Strict`)."""
        params = {
            "dryRun": "All",
            "fieldValidation": "Strict",
            "fieldManager": FIELD_MANAGER,
            "force": "true",
        }
        return self.request(
            "PATCH",
            f"{_collection(res, namespace)}/{name}",
            params=params,
            content=_json(doc),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )

    def wait_established(self, res: Resource, names: list[str], timeout: float = 60.0) -> list[str]:
        """Wait until each CRD is Established; the names that were not in time."""
        deadline = time.monotonic() + timeout
        left = list(names)
        while left and time.monotonic() < deadline:
            left = [n for n in left if not self._established(res, n)]
            if left:
                time.sleep(0.1)
        return left

    def _established(self, res: Resource, name: str) -> bool:
        status, doc = self.request("GET", f"{_collection(res, '')}/{name}")
        conditions = (doc.get("status") or {}).get("conditions") or [] if isinstance(doc, dict) else []
        return status == 200 and any(
            c.get("type") == "Established" and c.get("status") == "True" for c in conditions
        )


def _collection(res: Resource, namespace: str) -> str:
    ns = f"/namespaces/{namespace}" if res.namespaced and namespace else ""
    return f"{res.path}{ns}/{res.plural}"


def _json(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, default=str).encode()  # default: a YAML timestamp becomes its text
