"""The ownership rules (pure): what a namespace's marks and contents allow prune to delete."""

from __future__ import annotations

from hubfleet.core import ownership


def ns(name: str, **labels: str) -> dict:
    return {"metadata": {"name": name, "labels": labels}}


def test_a_namespace_helm_created_is_marked_created_and_an_existing_one_is_not() -> None:
    assert ownership.marks_missing(None, "k1", "a")[ownership.CREATED] == "true"
    assert ownership.CREATED not in ownership.marks_missing(ns("x"), "k1", "a")
    marked = ns("x", **ownership.marks("k1", "a", created=True))
    assert ownership.marks_missing(marked, "k1", "a") == {}
    # taken over by another hub: its mark, but never "created" (hubfleet did not create it for b)
    assert ownership.marks_missing(marked, "k1", "b") == {ownership.HUB: "b", ownership.CREATED: "false"}


def test_prune_acts_only_in_one_marked_namespace_the_fleet_no_longer_uses() -> None:
    assert ownership.prune_target("a", "k1", [ns("a-ns")], {}).namespace == "a-ns"
    assert ownership.prune_target("a", "k1", [], {}).namespace is None
    two = ownership.prune_target("a", "k1", [ns("x"), ns("y")], {})
    assert two.namespace is None and "several namespaces" in two.why
    held = ownership.prune_target(
        "a", "k1", [ns("cert-manager")], {"cert-manager": "support release cert-manager"}
    )
    assert held.why == "namespace cert-manager holds support release cert-manager: nothing done"
    assert ownership.prune_target("a", "k1", [ns("kube-system")], {}).namespace is None


def test_objects_of_the_release_and_of_kubernetes_never_keep_a_namespace() -> None:
    helm = {"meta.helm.sh/release-name": "a", "meta.helm.sh/release-namespace": "a-ns"}
    items = [
        {"kind": "ServiceAccount", "metadata": {"name": "default"}},
        {"kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt"}},
        {"kind": "ConfigMap", "metadata": {"name": "a-config", "annotations": helm}},
        {"kind": "Pod", "metadata": {"name": "p", "ownerReferences": [{"kind": "ReplicaSet"}]}},
        {"kind": "Secret", "metadata": {"name": "going", "deletionTimestamp": "2026-01-01T00:00:00Z"}},
        {"kind": "ConfigMap", "metadata": {"name": "theirs"}},
        {
            "kind": "ConfigMap",
            "metadata": {"name": "b-config", "annotations": {**helm, "meta.helm.sh/release-name": "b"}},
        },
    ]
    assert ownership.foreign_objects(items, "a", "a-ns") == ["ConfigMap/b-config", "ConfigMap/theirs"]


def test_a_namespace_is_deleted_only_if_hubfleet_created_it_and_nothing_else_lives_there() -> None:
    created = ns("a-ns", **ownership.marks("k1", "a", created=True))
    assert ownership.namespace_kept_because(created, "a", [], []) == ""
    assert ownership.namespace_kept_because(
        ns("a-ns", **ownership.marks("k1", "a", created=False)), "a", [], []
    ) == ("hubfleet did not create it")
    assert ownership.namespace_kept_because(created, "a", ["other"], []) == "it holds other releases (other)"
    assert "ConfigMap/x" in ownership.namespace_kept_because(created, "a", [], ["ConfigMap/x"])
