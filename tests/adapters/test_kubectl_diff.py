"""`kubectl.diff_live`: kubectl diff's exit codes read as drift or error (a recording runner, not a
cluster; the real `kubectl diff` runs in tests/kube/test_diff_live.py)."""

from __future__ import annotations

import pytest

from hubfleet.adapters import kubectl
from hubfleet.adapters.runner import Completed
from hubfleet.core.errors import HubfleetError


def _answering(code: int, stdout: str = "", stderr: str = ""):
    calls: list[dict] = []

    def runner(argv, **kw):
        calls.append({"argv": list(argv), **kw})
        return Completed(tuple(argv), code, stdout, stderr)

    return runner, calls


def test_exit_1_is_the_diff_and_the_manifest_goes_on_stdin_with_the_namespace_and_context():
    runner, calls = _answering(1, "--- /tmp/LIVE-1/x\n")
    got = kubectl.diff_live(
        "kind: ConfigMap\n", "ns1", kubectl="kc", credentials=["--kube-context", "c1"], runner=runner
    )
    assert got == "--- /tmp/LIVE-1/x\n"
    argv = calls[0]["argv"]
    assert argv[:3] == ["kc", "diff", "--server-side"] and argv[-2:] == ["--context", "c1"]
    assert argv[argv.index("--namespace") + 1] == "ns1" and calls[0]["input"] == "kind: ConfigMap\n"
    assert calls[0]["check"] is False


def test_exit_0_is_no_drift():
    runner, _ = _answering(0, "ignored")
    assert kubectl.diff_live("kind: ConfigMap\n", "ns1", kubectl="kc", runner=runner) == ""


def test_an_exit_above_1_is_one_line_naming_kubectl_diff():
    runner, _ = _answering(2, stderr='Error from server (Forbidden): configmaps "x" is forbidden\nmore\n')
    with pytest.raises(HubfleetError) as e:
        kubectl.diff_live("kind: ConfigMap\n", "ns1", kubectl="kc", runner=runner)
    assert str(e.value) == (
        "`kubectl diff --server-side --force-conflicts --field-manager=hubfleet-diff --namespace ns1 "
        '--filename -` failed: Error from server (Forbidden): configmaps "x" is forbidden'
    )
