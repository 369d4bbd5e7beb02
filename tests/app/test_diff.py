"""`invoke diff` over the stateful helm STAND-IN: what a real cluster cannot do on demand (helm printing
output of another shape) and secrets masked in a diff. The real paths (no drift after a deploy, a
manual `helm upgrade --set`, a hub not installed) run on real control planes: tests/kube/test_rollout.py."""

from __future__ import annotations

import pytest

from helpers.fleetbuild import SECRET
from hubfleet.app.deploy import deploy_hub
from hubfleet.cli.commands import diff as diff_cmd

pytestmark = pytest.mark.slow


def _deploy_then_drift(sf) -> None:
    """Deploy beta, then as if someone ran `helm upgrade --set greeting=hi` by hand on the cluster."""
    assert deploy_hub(sf.root, sf.fleet(), "beta").ok
    rev = sf.helm.revision("ctx-k1", "b-ns", "beta")
    sf.helm.edit(
        "ctx-k1",
        "b-ns",
        "beta",
        values={**rev["values"], "greeting": "hi"},
        manifest=rev["manifest"].replace('"hello beta"', '"hi"'),
    )


def test_drift_found_with_secrets_masked(standin_fleet, capsys):
    sf = standin_fleet
    sf.add_secrets("beta")
    _deploy_then_drift(sf)
    assert diff_cmd.run(hub="beta") == 2
    out = capsys.readouterr().out
    assert "beta: revision 1 (deployed) differs from the repository" in out
    assert "-greeting: hi" in out and "+greeting: hello beta" in out  # values: deployed -> repository
    assert "ConfigMap/beta-config" in out
    assert SECRET not in out


def _answering(verb: list[str], stdout: str):
    """The real runner, except that `helm <verb>` prints `stdout` (a helm gone wrong)."""
    from hubfleet.adapters.runner import Completed, run

    def runner(argv, **kw):
        done = run(argv, **kw)
        return Completed(done.argv, 0, stdout, "") if list(argv[1 : 1 + len(verb)]) == verb else done

    return runner


@pytest.mark.parametrize("printed", ["[1]", "not json"])
def test_get_values_of_another_shape_is_an_error_naming_the_command_not_differs(standin_fleet, printed):
    """Issue 22 item 14."""
    from hubfleet.app.diff import diff_hub

    sf = standin_fleet
    assert deploy_hub(sf.root, sf.fleet(), "beta").ok
    got = diff_hub(sf.root, sf.fleet(), "beta", runner=_answering(["get", "values"], printed))
    assert got.state == "error"
    assert got.text.startswith(
        "`helm get values beta --namespace b-ns --output json` printed unexpected output"
    )


@pytest.mark.parametrize("printed", ["{}", "[1,2]"])
def test_helm_list_of_another_shape_is_not_read_as_nothing_deployed(standin_fleet, printed):
    from hubfleet.app.inventory import live_releases

    sf = standin_fleet
    assert deploy_hub(sf.root, sf.fleet(), "beta").ok
    found = live_releases(sf.root, sf.fleet(), ["k1"], runner=_answering(["list"], printed))
    assert isinstance(found["k1"], str) and found["k1"].startswith(
        "`helm list --all-namespaces --all --output json`"
    )


def test_a_history_revision_1e400_is_one_line_naming_helm_history(standin_fleet):
    from hubfleet.app.diff import diff_hub

    sf = standin_fleet
    assert deploy_hub(sf.root, sf.fleet(), "beta").ok
    printed = '[{"revision": 1e400, "status": "deployed"}]'
    got = diff_hub(sf.root, sf.fleet(), "beta", runner=_answering(["history"], printed))
    assert got.state == "error" and "`helm history beta --namespace b-ns --max 10 --output json`" in got.text
    assert "(got revision inf, status a string)" in got.text


ISSUE_SECRETS = ("it's: Sup3rSecretValue", "pässwörd-Geheimnis-42", "correct horse battery staple " * 4)


def test_secrets_that_yaml_re_quotes_escapes_or_folds_never_show_in_a_diff(standin_fleet, capsys):
    """Issue 22 item 5: `'it''s: Sup3rSecretValue'` and `"p\\xE4ssw\\xF6rd-..."` were printed."""
    import json

    sf = standin_fleet
    sf.add_secrets(
        "beta", "config:\n" + "".join(f"  k{i}: {json.dumps(v)}\n" for i, v in enumerate(ISSUE_SECRETS))
    )
    _deploy_then_drift(sf)
    assert diff_cmd.run(hub="beta") == 2
    out = capsys.readouterr().out
    assert "ConfigMap/beta-config" in out and "*****" in out
    for word in ("Sup3rSecretValue", "Geheimnis", "battery", "p\\xE4ss", "pässw"):
        assert word not in out, out
