"""validate --server's pure part: objects per release, two releases claiming one object, and the
API server's Status as one (field, message) pair per cause."""

from __future__ import annotations

from hubfleet.core import serverside as ss

CLUSTER_SCOPED = {"ClusterRole", "Namespace", "CustomResourceDefinition", "PriorityClass"}


def scope(ref: ss.ObjectRef) -> bool | None:
    return ref.kind not in CLUSTER_SCOPED


def doc(kind: str, name: str, api: str = "v1", namespace: str | None = None) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": api, "kind": kind, "metadata": meta}


def objects(owner: str, cluster: str, namespace: str, *docs: dict) -> list[ss.Owned]:
    return ss.collect(owner, f"hubs/{owner}/rendered.values.yaml", cluster, namespace, docs)


def test_collect_skips_empty_documents_and_unfolds_lists() -> None:
    found = objects(
        "a", "c1", "a", None, doc("ConfigMap", "x"), {"kind": "List", "items": [doc("Secret", "s")]}
    )
    assert [(o.ref.kind, o.ref.name, o.owner) for o in found] == [
        ("ConfigMap", "x", "a"),
        ("Secret", "s", "a"),
    ]


def test_a_namespaced_object_lands_in_its_release_namespace_unless_it_names_one() -> None:
    a, b = objects("a", "c1", "hub-a", doc("ConfigMap", "x"), doc("ConfigMap", "y", namespace="other"))
    assert a.placed(True).namespace == "hub-a"
    assert b.placed(True).namespace == "other"
    assert a.placed(False).namespace == ""


def test_two_hubs_on_one_cluster_claiming_one_cluster_scoped_object_conflict() -> None:
    role = doc("ClusterRole", "shared-user-scheduler", api="rbac.authorization.k8s.io/v1")
    found = objects("a", "c1", "a", role, doc("ConfigMap", "hub")) + objects(
        "b", "c1", "b", role, doc("ConfigMap", "hub")
    )
    out = ss.conflicts(found, scope)
    assert [(o.owner, msg) for o, msg in out] == [("b", "cluster-scoped, also made by hub a on cluster c1")]


def test_the_same_object_on_two_clusters_or_in_two_namespaces_is_no_conflict() -> None:
    role = doc("ClusterRole", "r", api="rbac.authorization.k8s.io/v1")
    found = objects("a", "c1", "a", role, doc("ConfigMap", "hub")) + objects(
        "b", "c2", "b", role, doc("ConfigMap", "hub")
    )
    found += objects("c", "c1", "c", doc("ConfigMap", "hub"))
    assert ss.conflicts(found, scope) == []


def test_a_support_release_and_a_hub_claiming_one_namespaced_object_conflict() -> None:
    found = objects("c1/cert-manager", "c1", "cert-manager", doc("ConfigMap", "x"))
    found += objects("a", "c1", "a", doc("ConfigMap", "x", namespace="cert-manager"))
    ((_o, msg),) = ss.conflicts(found, scope)
    assert msg == "in namespace cert-manager, also made by support release c1/cert-manager on cluster c1"


def test_crds_once_each_and_the_namespaces_objects_need() -> None:
    crd = doc("CustomResourceDefinition", "issuers.example.io", api="apiextensions.k8s.io/v1")
    found = objects("c1/cm", "c1", "cm", crd, doc("ClusterRole", "r")) + objects("c2/cm", "c2", "cm", crd)
    found += objects("a", "c1", "hub-a", doc("ConfigMap", "x", namespace="elsewhere"))
    assert [o.owner for o in ss.crds(found)] == ["c1/cm"]
    assert ss.namespaces_needed(found, scope) == ["cm", "elsewhere", "hub-a"]


def test_causes_one_pair_per_cause_else_the_message_without_the_object_s_name() -> None:
    status = {
        "kind": "Status",
        "message": 'Deployment.apps "hub" is invalid: [spec.a: Invalid value, spec.b: Required value]',
        "details": {
            "causes": [
                {"field": "spec.a", "message": 'Invalid value: "2Gx": quantities must match'},
                {"field": "spec.b", "message": "Required value"},
            ]
        },
    }
    assert ss.causes(status) == [
        ("spec.a", 'Invalid value: "2Gx": quantities must match'),
        ("spec.b", "Required value"),
    ]
    plain = {"kind": "Status", "message": 'Service "x" is invalid: metadata.name: too long'}
    assert ss.causes(plain) == [("metadata.name", "too long")]
    assert ss.causes("upstream\n  connect error") == [("", "upstream connect error")]


def test_server_side_apply_s_preamble_is_dropped_and_a_leading_field_split_off() -> None:
    typed = {
        "kind": "Status",
        "message": "failed to create typed patch object (/letsencrypt-prod; cert-manager.io/v1, "
        "Kind=ClusterIssuer): .spec.acme.retries: field not declared in schema",
    }
    assert ss.causes(typed) == [("spec.acme.retries", "field not declared in schema")]
    converted = {
        "kind": "Status",
        "message": "failed to convert new object (/hub; apps/v1, Kind=Deployment) to proper version: "
        "unable to convert unstructured object to apps/v1, Kind=Deployment: quantities must match the regular expression",
    }
    assert ss.causes(converted) == [("", "quantities must match the regular expression")]
    twice = {
        "details": {"causes": [{"field": "spec.a", "message": "bad"}, {"field": "spec.a", "message": "bad"}]}
    }
    assert ss.causes(twice) == [("spec.a", "bad")]


def _crd(kind: str, group: str = "cert-manager.io", versions: tuple[str, ...] = ("v1",)) -> dict:
    plural = kind.lower() + "s"
    return {
        **doc("CustomResourceDefinition", f"{plural}.{group}", "apiextensions.k8s.io/v1"),
        "spec": {"group": group, "names": {"kind": kind, "plural": plural}, "versions": list(versions)},
    }


def test_clusters_with_the_same_crds_share_a_server_and_others_get_their_own() -> None:
    """A custom resource is judged by its own cluster's CRDs: a cluster whose CRD differs (another
    version) or that has none is a part of its own; clusters with identical CRDs share one."""
    same_a = objects("cm", "a", "cert-manager", _crd("Issuer")) + objects(
        "h1", "a", "h1", doc("ConfigMap", "x")
    )
    same_b = objects("cm", "b", "cert-manager", _crd("Issuer")) + objects(
        "h2", "b", "h2", doc("ConfigMap", "x")
    )
    newer = objects("cm", "c", "cert-manager", _crd("Issuer", versions=("v1", "v2")))
    none = objects("h3", "d", "h3", doc("Issuer", "i", "cert-manager.io/v1"))
    parts = ss.crd_groups([*same_a, *newer, *same_b, *none])
    assert [sorted({o.cluster for o in p}) for p in parts] == [["a", "b"], ["c"], ["d"]]
    assert parts[0] == [*same_a, *same_b]  # each part keeps the submission order
    assert ss.crd_groups([]) == []
