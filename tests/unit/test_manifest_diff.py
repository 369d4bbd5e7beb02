"""Manifest normalisation and diffs, chart-default changes (pure)."""

from __future__ import annotations

from hubfleet.core.manifests import default_changes, diff_text, live_diff_text, mask_paths, normalise

DEPLOYED = """---
# Source: chart/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: hub}
data: {a: "1", b: "2"}
---
apiVersion: v1
kind: Secret
metadata: {name: hub}
data: {token: c2VjcmV0}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: hub}
spec:
  template:
    metadata:
      annotations: {checksum/secret: aaaa, team: x}
"""

TEMPLATED = """---
apiVersion: apps/v1
kind: Deployment
metadata: {name: hub}
spec:
  template:
    metadata:
      annotations: {team: x, checksum/secret: bbbb}
---
apiVersion: v1
kind: Secret
metadata: {name: hub}
data: {token: b3RoZXI=}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: hub}
data: {b: "2", a: "1"}
---
apiVersion: v1
kind: Pod
metadata:
  name: hub-test
  annotations: {helm.sh/hook: test}
"""


def test_order_comments_hooks_secrets_and_checksums_are_not_differences():
    assert diff_text(DEPLOYED, TEMPLATED, "deployed", "repo") == ""
    assert list(normalise(TEMPLATED)) == ["ConfigMap/hub", "Deployment/hub", "Secret/hub"]


def test_a_real_difference_shows_object_by_object_without_secret_values():
    changed = TEMPLATED.replace('b: "2"', 'b: "3"').replace("token: b3RoZXI=", "token: b3RoZXI=, extra: eA==")
    out = diff_text(DEPLOYED, changed, "deployed", "repo")
    assert "--- deployed/ConfigMap/hub" in out and "-  b: '2'" in out and "+  b: '3'" in out
    assert "+  extra: <redacted>" in out
    assert "c2VjcmV0" not in out and "eA==" not in out


def test_mask_paths_hides_every_secret_leaf():
    values = {"hub": {"config": {"x": 1}, "services": {"h": {"apiToken": "tok"}}}, "a": [1]}
    secret = {"hub": {"services": {"h": {"apiToken": "tok"}}}}
    masked = mask_paths(values, secret)
    assert masked["hub"]["services"]["h"]["apiToken"] == "<redacted>" and masked["hub"]["config"] == {"x": 1}


def test_default_changes_only_for_keys_the_fleet_leaves_alone():
    before = {
        "hub": {"image": {"tag": "4.3.5"}, "db": {"type": "sqlite-pvc"}},
        "cull": {"every": 600},
        "x": {},
    }
    after = {"hub": {"image": {"tag": "4.4.0"}, "db": {"type": "sqlite-pvc"}}, "cull": {"every": 300}, "y": 1}
    fleet = {"cull": {"every": 900}}
    lines = [c.line() for c in default_changes(before, after, fleet)]
    assert lines == ["hub.image.tag: 4.3.5 -> 4.4.0", "y: (absent) -> 1"]
    # a fleet value that replaces a whole subtree decides every key below it
    assert default_changes(before, after, {"hub": None, "cull": 1, "y": 2}) == []


KUBECTL_DIFF = """diff -u -N /tmp/LIVE-2207/v1.ConfigMap.ns.hub /tmp/MERGED-1187/v1.ConfigMap.ns.hub
--- /tmp/LIVE-2207/v1.ConfigMap.ns.hub\t2026-12-07 00:00:28.1 +0000
+++ /tmp/MERGED-1187/v1.ConfigMap.ns.hub\t2026-12-07 00:00:28.2 +0000
@@ -1,3 +1,3 @@
 data:
-  greeting: by hand
+  greeting: hello
"""


def test_kubectl_diffs_temporary_file_names_read_as_live_and_release():
    assert live_diff_text(KUBECTL_DIFF) == (
        "--- live/v1.ConfigMap.ns.hub\n+++ release/v1.ConfigMap.ns.hub\n@@ -1,3 +1,3 @@\n"
        " data:\n-  greeting: by hand\n+  greeting: hello\n"
    )
    assert live_diff_text("") == ""


def test_same_objects_tells_a_folder_charts_template_edit_apart() -> None:
    """A folder chart's version does not pin its content: the objects themselves are compared."""
    from hubfleet.core.manifests import same_objects

    deployed = "---\n# Source: c/templates/x.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n"
    reordered = "apiVersion: v1\nkind: ConfigMap\ndata: {k: v}\nmetadata: {name: a}\n"
    hook = "---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: h, annotations: {helm.sh/hook: post-install}}\n"
    assert same_objects(deployed, reordered + hook)  # key order and Helm's hooks do not count
    assert not same_objects(deployed, reordered.replace("k: v", "k: w"))
    assert not same_objects(deployed, reordered + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n")
    assert not same_objects(deployed, "not: [valid")
