"""The ownership rules (pure): what a namespace's marks and contents allow prune to delete."""

from __future__ import annotations

from hubfleet.core import ownership


def ns(name: str, **labels: str) -> dict:
    return {"metadata": {"name": name, "labels": labels}}


def test_a_namespace_helm_created_is_marked_created_and_an_existing_one_is_not() -> None:
    assert ownership.marks_missing(None, "k1", "a", fleet="f")[ownership.CREATED] == "true"
    assert ownership.CREATED not in ownership.marks_missing(ns("x"), "k1", "a", fleet="f")
    marked = ns("x", **ownership.marks("k1", "a", fleet="f", created=True))
    assert ownership.marks_missing(marked, "k1", "a", fleet="f") == {}
    # taken over by another hub: its mark, but never "created" (hubfleet did not create it for b)
    assert ownership.marks_missing(marked, "k1", "b", fleet="f") == {
        ownership.HUB: "b",
        ownership.CREATED: "false",
    }


def test_prune_acts_only_in_one_marked_namespace_the_fleet_no_longer_uses() -> None:
    assert ownership.prune_target("a", "k1", [ns("a-ns")], {}, fleet="f").namespace == "a-ns"
    assert ownership.prune_target("a", "k1", [], {}, fleet="f").namespace is None
    two = ownership.prune_target("a", "k1", [ns("x"), ns("y")], {}, fleet="f")
    assert two.namespace is None and "several namespaces" in two.why
    held = ownership.prune_target(
        "a", "k1", [ns("cert-manager")], {"cert-manager": "support release cert-manager"}, fleet="f"
    )
    assert held.why == "namespace cert-manager holds support release cert-manager: nothing done"
    assert ownership.prune_target("a", "k1", [ns("kube-system")], {}, fleet="f").namespace is None


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
    created = ns("a-ns", **ownership.marks("k1", "a", fleet="f", created=True))
    assert ownership.namespace_kept_because(created, "a", [], [], fleet="f") == ""
    assert ownership.namespace_kept_because(
        ns("a-ns", **ownership.marks("k1", "a", fleet="f", created=False)), "a", [], [], fleet="f"
    ) == ("hubfleet did not create it")
    assert (
        ownership.namespace_kept_because(created, "a", ["other"], [], fleet="f")
        == "it holds other releases (other)"
    )
    assert "ConfigMap/x" in ownership.namespace_kept_because(created, "a", [], ["ConfigMap/x"], fleet="f")


def test_another_fleets_marks_are_never_acted_on_and_unnamed_marks_are_this_fleets() -> None:
    """Two repositories deploying to one cluster, each with a hub `a`: prune of one never touches
    the namespace the other marked; a mark from before fleets had names counts as this fleet's."""
    other = ns("b-a", **ownership.marks("k1", "a", fleet="other", created=True))
    legacy = ns(
        "a-ns",
        **{
            k: v
            for k, v in ownership.marks("k1", "a", fleet="f", created=True).items()
            if k != ownership.FLEET
        },
    )
    alone = ownership.prune_target("a", "k1", [other], {}, fleet="f")
    assert alone.namespace is None
    assert alone.why == "only another fleet marked a namespace as hub a's: b-a (fleet other): nothing done"
    assert ownership.prune_target("a", "k1", [other, legacy], {}, fleet="f").namespace == "a-ns"
    assert (
        ownership.namespace_kept_because(other, "a", [], [], fleet="f") == "another fleet (other) marked it"
    )
    assert ownership.namespace_kept_because(legacy, "a", [], [], fleet="f") == ""
    # deploying into the other fleet's namespace: marked as this fleet's, but never as created by it
    assert ownership.marks_missing(other, "k1", "a", fleet="f") == {
        ownership.FLEET: "f",
        ownership.CREATED: "false",
    }
    # an unnamed mark gains the name at the next deploy, and stays created
    assert ownership.marks_missing(legacy, "k1", "a", fleet="f") == {ownership.FLEET: "f"}
