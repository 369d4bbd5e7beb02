"""Output that reads well: a dry run shows the rollout's real order, `status --live` one line per
unreachable cluster, and each report says only what is true."""

from __future__ import annotations

from helpers.cli import hubfleet


def test_a_dry_run_shows_the_order_the_rollout_takes(example_fleet, capsys, monkeypatch):
    """Support releases, staging hubs, the health gate, then prod hubs, and the releases shown in
    that order (not the fleet's alphabetical one, where prod uni-research came before staging)."""
    from hubfleet.app import deploy, support
    from hubfleet.app.load import load_work_tree
    from hubfleet.core import rollout

    shown: list[str] = []

    def show(root, fleet, what, **kwargs):
        name = what if isinstance(what, str) else what.id
        shown.append(name)
        return rollout.Result(name, True, "shown")

    monkeypatch.setattr(deploy, "deploy_hub", show)
    monkeypatch.setattr(support, "deploy_support", show)
    code, out, err = hubfleet(["deploy", "--cluster", "uni-west", "--dry-run"], capsys)
    assert code == 0, err
    _, fleet = load_work_tree()
    releases = [t.id for t in fleet.support_of("uni-west")]
    assert releases and shown == [*releases, "uni-staging", "uni-research", "uni-teaching"]
    order = out[: out.index("\n\n")].splitlines()
    checked = " (then its health check)" if fleet.config.rollout.health_prod else ""
    assert order == [
        "rollout order (a dry run: nothing is deployed):",
        "cluster uni-west:",
        *(f"  support release {t.name}" for t in fleet.support_of("uni-west")),
        "  staging uni-staging",
        "  health gate: uni-staging healthy, else uni-west's prod hubs are skipped",
        f"  prod uni-research{checked}",
        f"  prod uni-teaching{checked}",
    ]


def test_status_live_says_once_per_cluster_that_it_could_not_ask(example_fleet, capsys, monkeypatch):
    """A cluster whose credentials fail is one line on stderr; its rows say `unreachable`, not the
    error again (rows of over 300 characters)."""
    from hubfleet.cli.commands import status

    why = "clusters/gcp-eu/cluster.yaml: cannot get credentials for cluster gcp-eu: " + "x" * 200
    asked: list[str] = []

    def live_releases(root, fleet, clusters, **kwargs):
        asked.extend(clusters)
        return {c: why if c == "gcp-eu" else "aws: token expired" if c == "aws-us" else [] for c in clusters}

    monkeypatch.setattr(status, "live_releases", live_releases)
    code, out, err = hubfleet(["status", "--live"], capsys)
    assert code == 1 and "gcp-eu" in asked
    rows = [line for line in out.splitlines() if line.split()[1] == "gcp-eu"]
    assert rows and all(line.endswith("unreachable (see below)") for line in rows)
    assert max(len(line) for line in out.splitlines()) < 300
    assert err.splitlines() == [
        "cluster aws-us: helm list failed: aws: token expired",
        f"cluster gcp-eu: helm list failed: {why}",
    ]


def test_plan_matrix_is_one_line_with_its_newline(example_fleet, capfd):
    """`plan --matrix` feeds $GITHUB_OUTPUT: one JSON line, ended by a newline."""
    import json

    (example_fleet / "plan.json").write_text(
        json.dumps(
            {
                "base": "a" * 40,
                "head": "b" * 40,
                "hubs": [{"name": "oceans", "cluster": "aws-us", "stage": "prod", "reasons": ["x"]}],
                "removed": [],
            }
        )
    )
    from hubfleet.cli.main import main

    main(["plan", "--matrix", "plan.json"])
    out = capfd.readouterr().out
    assert out == '{"include": [{"cluster": "aws-us", "provider": "eks"}]}\n'


def test_the_plan_tables_title_is_one_line_at_80_columns():
    """A narrow table (short names and reasons) had its title folded to the table's width."""
    from rich.console import Console

    from hubfleet.cli.reports import console_table
    from hubfleet.core.plan import Plan, PlannedHub, PlannedSupport

    plan = Plan(
        "a" * 40,
        "b" * 40,
        (PlannedHub("x", "c", "prod", ("new",)),),
        support=(PlannedSupport("c", "ingress", ("new",)), PlannedSupport("c", "certs", ("new",))),
    )
    console = Console(width=80, record=True, color_system=None)
    console.print(console_table(plan))
    lines = console.export_text().splitlines()
    assert lines[0] == f"plan {'a' * 12} -> {'b' * 12}: 1 hub(s) to deploy, 2 support release(s)"
    assert all(len(line) <= 80 for line in lines)


def test_new_hub_like_a_hub_without_secrets_does_not_mention_them(seeded_fleet, capsys):
    assert not (seeded_fleet / "hubs/oceans/secrets.yaml").exists()
    code, out, err = hubfleet(["new-hub", "seas", "--cluster", "aws-us", "--like", "oceans"], capsys)
    assert code == 0, err
    assert "not copied" not in out and "invoke secrets --hub seas" in out
