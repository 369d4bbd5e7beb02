"""A real production fleet (a converted sample of 2i2c-org/infrastructure) loads, renders and validates.

The fixture is `tests/fixtures/real-fleet/` (sources in its README). Its hubs use two charts: the
plain jupyterhub 4.4.0 chart, and a local `basehub` wrapper chart whose z2jh values nest under
`jupyterhub:`. The test gives basehub the real jupyterhub schema and defaults under that key, as
Helm does for a chart dependency.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from hubfleet.adapters import yamlio
from hubfleet.adapters.source import DirSource
from hubfleet.app.load import load_fleet
from hubfleet.app.render import render_hub, text
from hubfleet.app.validate import validate_fleet
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import render as render_cmd
from hubfleet.cli.commands import validate as validate_cmd
from hubfleet.core import policy
from hubfleet.core.chartschema import coalesce
from hubfleet.core.compose import compose
from hubfleet.core.errors import HubfleetError, Problem, errors_only
from hubfleet.core.model import Cluster, Hub
from hubfleet.core.resolve import Facts

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "real-fleet"
HUBS = {
    "ubc-eoas-staging": ("ubc-eoas", "basehub", "staging"),
    "ubc-eoas": ("ubc-eoas", "basehub", "prod"),
    "aws-us-staging": ("2i2c-aws-us", "jupyterhub", "staging"),
    "neurohackademy": ("2i2c-aws-us", "jupyterhub", "prod"),
}
AWS_LAYER = "clusters/2i2c-aws-us/common.values.yaml"


@pytest.fixture
def real_fleet(tmp_path, monkeypatch, jupyterhub_chart_dir) -> Path:
    """A copy of the fixture fleet as the working directory, both charts' schemas available offline."""
    from hubfleet.adapters.charts import seed_cache

    root = tmp_path / "real-fleet"
    shutil.copytree(FIXTURE, root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    # basehub depends on the jupyterhub chart: its schema and defaults apply under `jupyterhub:`.
    z2jh_schema = json.loads((jupyterhub_chart_dir / "values.schema.json").read_text())
    z2jh_defaults = yaml.safe_load((jupyterhub_chart_dir / "values.yaml").read_text())
    basehub = root / "charts" / "basehub"
    schema = json.loads((basehub / "values.schema.json").read_text())
    schema["properties"]["jupyterhub"] = z2jh_schema
    (basehub / "values.schema.json").write_text(json.dumps(schema))
    defaults = yamlio.parse((basehub / "values.yaml").read_bytes(), "values.yaml")
    defaults["jupyterhub"] = coalesce(z2jh_defaults, defaults["jupyterhub"])
    (basehub / "values.yaml").write_text(yamlio.dump(defaults))
    fleet = load_fleet(DirSource(root))
    seed_cache(root, fleet.config.charts["jupyterhub"], jupyterhub_chart_dir)
    return root


def _fleet(root: Path):
    return load_fleet(DirSource(root))


def _rendered(root: Path, hub: str) -> str:
    return (root / "hubs" / hub / "rendered.values.yaml").read_text()


TOKEN_ROUTE = "no route gives the health check a token"


def _validate(root: Path) -> list[Problem]:
    """validate's findings, but the health-token warning each of 2i2c's hubs gets (tested once)."""
    return [p for p in _validate_all(root) if TOKEN_ROUTE not in p.message]


def _validate_all(root: Path) -> list[Problem]:
    return validate_fleet(root, _fleet(root), offline=True, rendered=False)  # the schemas, not the files


# What the JupyterHub-aware checks find in the real fixture, all true and all warnings: 2i2c's CILogon
# config uses `allowed_idps` (oauthenticator 17.4 renamed it `idps`), and five profiles run `:latest`.
REAL_WARNINGS = [
    (
        "clusters/ubc-eoas/common.values.yaml",
        ("jupyterhub", "hub", "config", "CILogonOAuthenticator", "allowed_idps"),
    ),
    *(
        (
            "clusters/ubc-eoas/common.values.yaml",
            ("jupyterhub", "singleuser", "profileList", i, "kubespawner_override", "image"),
        )
        for i in range(5)
    ),
]


def _new(root: Path, before: list[Problem]) -> list[Problem]:
    """What validate finds now that it did not find before an edit."""
    return [p for p in _validate(root) if p not in before]


# --- loading, rendering, validating -----------------------------------------------------------


def test_the_fixture_fleet_loads_with_no_problem():
    fleet = _fleet(FIXTURE)
    assert fleet.problems == ()
    assert {n: (h.cluster, h.chart, h.stage) for n, h in fleet.hubs.items()} == HUBS
    assert {c.name: c.provider for c in fleet.clusters.values()} == {"ubc-eoas": "eks", "2i2c-aws-us": "eks"}
    assert fleet.config.charts["basehub"].kind == "path"
    assert fleet.config.charts["jupyterhub"].version == "4.4.0"


def test_renders_byte_for_byte_deterministically(real_fleet, capsys):
    assert boundary(render_cmd.run) == 0
    first = {h: _rendered(real_fleet, h) for h in HUBS}
    # A second render, from a freshly loaded fleet, writes nothing and finds nothing stale.
    assert boundary(render_cmd.run, check=True) == 0
    again = {h: render_hub(f, f.hubs[h]).text for f in [_fleet(real_fleet)] for h in HUBS}
    assert again == first
    for hub, body in first.items():
        assert body.startswith("# GENERATED by hubfleet")
        assert "&id" not in body and "*id" not in body, f"{hub}: YAML aliases in the rendered file"
        assert yamlio.parse(body, hub) == render_hub(_fleet(real_fleet), _fleet(real_fleet).hubs[hub]).values
    assert len(first["neurohackademy"].splitlines()) > 500  # the size of a real hub


def test_validates_with_zero_errors_against_both_real_schemas(real_fleet, capsys):
    found = _validate_all(real_fleet)
    # 2i2c's hubs declare no `hubfleet-health` service, so nothing gives a health check its token:
    # a warning per remote hub; besides, only the true findings of REAL_WARNINGS.
    assert [(p.file, p.keypath) for p in found if TOKEN_ROUTE not in p.message] == REAL_WARNINGS
    assert {p.severity for p in found} == {"warning"} and {p.hub for p in found} == set(HUBS)
    assert boundary(render_cmd.run) == 0  # the fixture holds no rendered files
    capsys.readouterr()
    assert boundary(validate_cmd.run, offline=True) == 0
    err = capsys.readouterr().err.splitlines()
    assert err and all(": warning: " in line for line in err)


def test_both_schemas_really_apply(real_fleet):
    """A typo is caught under basehub's `jupyterhub:` and at the plain chart's root: one located line each."""
    staging = real_fleet / "hubs/ubc-eoas-staging/values.yaml"
    staging.write_text(
        staging.read_text().replace("jupyterhub:\n", "jupyterhub:\n  hub:\n    confg: {}\n", 1)
    )
    neuro = real_fleet / "hubs/neurohackademy/values.yaml"
    neuro.write_text(neuro.read_text().replace("  defaultUrl:", "  defaultUrll:"))
    found = sorted(str(p) for p in errors_only(_validate(real_fleet)))
    assert len(found) == 2, found
    assert re.fullmatch(
        r"hubs/neurohackademy/values\.yaml:\d+: singleuser\.defaultUrll: unknown key for this chart "
        r"\(did you mean `defaultUrl`\?\)",
        found[0],
    )
    assert re.fullmatch(
        r"hubs/ubc-eoas-staging/values\.yaml:\d+: jupyterhub\.hub\.confg: unknown key for this chart "
        r"\(did you mean `config`\?\)",
        found[1],
    )


# --- strings survive exactly -----------------------------------------------------------------------


def test_escapes_and_templates_survive_rendering(real_fleet):
    fleet = _fleet(real_fleet)
    aws = render_hub(fleet, fleet.hubs["aws-us-staging"])
    neuro = render_hub(fleet, fleet.hubs["neurohackademy"])
    ubc = render_hub(fleet, fleet.hubs["ubc-eoas"])
    v = aws.values
    assert v["hub"]["initContainers"][0]["args"][1] == (
        "rm -rf /srv/extra-templates-dir/repo;\ngit clone ${GIT_REPO_URL} /srv/extra-templates-dir/repo\n"
    )
    assert "  git clone ${GIT_REPO_URL} /srv/extra-templates-dir/repo\n" in aws.text
    assert "\\${" not in aws.text
    assert v["singleuser"]["storage"]["static"]["subPath"] == "{username}"
    assert (
        v["singleuser"]["extraEnv"]["SCRATCH_BUCKET"] == "s3://2i2c-aws-us-scratch-staging/$(JUPYTERHUB_USER)"
    )
    assert (
        "'DASK_GATEWAY__CLUSTER__OPTIONS__IMAGE': '{{JUPYTER_IMAGE_SPEC}}',"
        in v["hub"]["extraConfig"]["daskhub-01-add-dask-gateway-values"]
    )
    assert v["singleuser"]["extraFiles"]["ghsa-w3vc-fx9p-wp4v-check-patch-run"]["mode"] == 0o755
    # Keys with dots and slashes are keys, never paths.
    assert v["singleuser"]["nodeSelector"] == {
        "2i2c/hub-name": "staging",
        "node.kubernetes.io/instance-type": "r5.xlarge",
    }
    assert "KubeSpawner.image" in v["hub"]["extraFiles"]["configurator-schema-default"]["data"]["properties"]
    # Facts resolved per hub, in flow lists and inside strings.
    assert v["ingress"]["hosts"] == ["staging.aws.2i2c.cloud"]
    assert ubc.values["jupyterhub"]["hub"]["config"]["CILogonOAuthenticator"]["oauth_callback_url"] == (
        "https://ubc-eoas.2i2c.cloud/hub/oauth_callback"
    )
    # Anchors/aliases are expanded: each profile carries its own copy of the init containers.
    profiles = neuro.values["singleuser"]["profileList"]
    assert (
        profiles[1]["kubespawner_override"]["init_containers"]
        == profiles[0]["kubespawner_override"]["init_containers"]
    )
    unlisted = profiles[3]["profile_options"]["image"]["unlisted_choice"]["kubespawner_override"]
    assert unlisted["image"] == "{value}"
    assert unlisted["init_containers"][0]["volumeMounts"][0]["subPath"] == "{username}"


def test_long_extra_config_stays_a_readable_block(real_fleet):
    fleet = _fleet(real_fleet)
    rendered = render_hub(fleet, fleet.hubs["neurohackademy"])
    source = yamlio.parse((real_fleet / AWS_LAYER).read_bytes(), AWS_LAYER)
    for name, code in source["hub"]["extraConfig"].items():
        assert rendered.values["hub"]["extraConfig"][name] == code
        assert f"\n    {name}: |\n" in rendered.text
        first_line = code.splitlines()[0]
        assert f"\n    {name}: |\n      {first_line}\n" in rendered.text
    script = rendered.values["singleuser"]["extraFiles"]["ghsa-w3vc-fx9p-wp4v-check-patch-run"]["stringData"]
    assert (
        len(script.splitlines()) > 40
        and "\n      stringData: |\n        #!/usr/bin/env python3\n" in rendered.text
    )


# --- YAML features of real configs ---------------------------------------------------------------

FACTS = Facts(
    {"name": "h", "domain": "h.example", "namespace": "h", "stage": "prod"}, {"name": "c", "provider": "eks"}
)


def test_anchors_and_merge_keys_render_as_plain_values_even_without_interpolations():
    layer = yamlio.parse(
        "base: &base {cpu_guarantee: 0.5, mem_limit: 16G}\n"
        "profiles:\n"
        "- kubespawner_override: &ks {<<: *base, image: a:1}\n"
        "- kubespawner_override: *ks\n"
        "- kubespawner_override: {<<: *base, mem_limit: 32G}\n",
        "l.yaml",
    )
    values = compose([("l.yaml", layer)], FACTS)
    body = text(values, "")
    assert "&" not in body and "*" not in body
    assert yamlio.parse(body, "r") == values
    assert values["profiles"][2]["kubespawner_override"] == {"cpu_guarantee": 0.5, "mem_limit": "32G"}


def test_an_integer_key_where_the_chart_forbids_it_is_one_clear_error(jupyterhub_schema):
    """(A layer's YAML may not even get there: an unquoted number as a key is for yamlio to judge.)"""
    errors = jupyterhub_schema.errors({"singleuser": {7: "x"}})
    assert [(e.keypath, e.message.split(";")[0]) for e in errors] == [
        (("singleuser", 7), "unknown key for this chart")
    ]


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            "git clone ${GIT_REPO_URL} /srv/repo",
            "`${GIT_REPO_URL}`: no key `GIT_REPO_URL` in the merged values; if `${GIT_REPO_URL}` is meant "
            "literally (shell, Python), escape it: `\\${GIT_REPO_URL}`",
        ),
        (
            'echo "${HOME:-/tmp}"',
            "cannot resolve `${HOME:-/tmp}` (Unsupported interpolation type HOME): "
            "interpolations are ${hub:...}, ${cluster:...} and ${other.key}; if `${HOME:-/tmp}` is meant "
            "literally (shell, Python), escape it: `\\${HOME:-/tmp}`",
        ),
        (
            "x = f'${name} on ${hub:name}' # ${a b}",
            "`${name}`: no key `name` in the merged values; if `${name}` is meant literally (shell, Python), "
            "escape it: `\\${name}`",
        ),
        (
            "echo ${#ARRAY[@]}",
            "cannot resolve `${#ARRAY[@]}` (Interpolation key '#ARRAY[@]' not "
            "found): interpolations are ${hub:...}, ${cluster:...} and ${other.key}; if `${#ARRAY[@]}` is "
            "meant literally (shell, Python), escape it: `\\${#ARRAY[@]}`",
        ),
    ],
)
def test_an_unescaped_dollar_brace_says_how_to_escape_it(snippet, expected):
    layer = {"hub": {"extraConfig": {"10-x": f"import os\n{snippet}\n"}}}
    with pytest.raises(HubfleetError) as e:
        compose([("hubs/h/values.yaml", layer)], FACTS)
    assert str(e.value).startswith("hubs/h/values.yaml: hub.extraConfig.10-x: " + expected)
    assert "\n" not in str(e.value)


def test_a_real_layer_without_its_escape_fails_on_one_located_line(real_fleet, capsys):
    layer = real_fleet / AWS_LAYER
    layer.write_text(layer.read_text().replace("git clone \\${GIT_REPO_URL}", "git clone ${GIT_REPO_URL}"))
    assert boundary(render_cmd.run) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert "Traceback" not in "\n".join(err)
    lines = [line for line in err if "GIT_REPO_URL" in line]
    assert len(lines) == 1, err  # both hubs of the cluster share the fault: one line, naming their layer
    for line in lines:
        assert re.match(rf"{re.escape(AWS_LAYER)}:\d+: hub\.initContainers\[0\]\.args\[1\]: ", line), line
        assert "escape it: `\\${GIT_REPO_URL}`" in line
    assert not list(real_fleet.glob("hubs/*/rendered.values.yaml"))


# --- policy on the real fleet ------------------------------------------------------------------------


def test_policy_sees_the_authenticator_of_a_wrapped_chart(real_fleet):
    before = _validate(real_fleet)
    layer = real_fleet / "hubs/ubc-eoas-staging/values.yaml"
    layer.write_text(
        layer.read_text().replace(
            "jupyterhub:\n",
            "jupyterhub:\n  hub:\n    config:\n      JupyterHub: {authenticator_class: dummy}\n"
            "      CILogonOAuthenticator: {allow_all: true}\n",
            1,
        )
    )
    found = sorted((str(p), p.severity) for p in _new(real_fleet, before) if p.severity != "info")
    assert found == [
        (
            "hubs/ubc-eoas-staging/values.yaml:5: jupyterhub.hub.config.JupyterHub.authenticator_class: "
            "DummyAuthenticator lets anyone log in on a real cluster: use a real authenticator, or waive it "
            "in hub.yaml (`waive: {dummy-authenticator: <reason>}`)",
            "error",
        ),
        (
            "hubs/ubc-eoas-staging/values.yaml:6: jupyterhub.hub.config.CILogonOAuthenticator.allow_all: warning: "
            "allow_all: true lets every identity of the provider in; waive in hub.yaml "
            "(`waive: {allow-all: <reason>}`) if this hub is public on purpose",
            "warning",
        ),
    ]
    # The prod hub on the same cluster, with the cluster's per-IdP allow_all only: nothing new.
    assert not [p for p in _new(real_fleet, before) if p.hub == "ubc-eoas"]


def test_secret_keys_are_found_under_a_subchart_key(real_fleet):
    before = _validate(real_fleet)
    layer = real_fleet / "hubs/ubc-eoas/values.yaml"
    layer.write_text(
        "jupyterhub:\n  hub:\n    config:\n      CILogonOAuthenticator:\n        client_id: cilogon:/client_id/1\n"
        "        client_secret: s3cr3t-in-plain-text\n"
    )
    found = [str(p) for p in _new(real_fleet, before)]
    assert found == [
        "hubs/ubc-eoas/values.yaml:6: jupyterhub.hub.config.CILogonOAuthenticator.client_secret: looks like a "
        "secret in a plain values file: move it to the hub's sops-encrypted secrets.yaml "
        "(`invoke secrets --hub <hub>`)"
    ]


# --- policy over every authenticator shape (pure) ------------------------------------------------------

REMOTE = Cluster("c", "eks", {"region": "r", "cluster": "c"})
LOCAL = Cluster("local", "local", {})
ALLOW_ALL = ("allow_all",)
DUMMY = ("dummy",)
TMP = ("tmp",)

SHAPES = {
    "cilogon-per-idp-allow-all": (
        {
            "JupyterHub": {"authenticator_class": "cilogon"},
            "CILogonOAuthenticator": {
                "oauth_callback_url": "https://h/hub/oauth_callback",
                "allowed_idps": {
                    "https://authentication.ubc.ca": {
                        "default": True,
                        "username_derivation": {"username_claim": "email", "action": "strip_idp_domain"},
                        "allow_all": True,
                    },
                    "http://google.com/accounts/o8/id": {"username_derivation": {"username_claim": "email"}},
                },
            },
        },
        (),
    ),
    "cilogon-authenticator-wide-allow-all": (
        {"JupyterHub": {"authenticator_class": "cilogon"}, "CILogonOAuthenticator": {"allow_all": True}},
        ALLOW_ALL,
    ),
    "github-orgs": (
        {
            "JupyterHub": {"authenticator_class": "github"},
            "GitHubOAuthenticator": {"allowed_organizations": ["NeuroHackademy2024"], "scope": ["read:org"]},
        },
        (),
    ),
    "github-class-path-allow-all": (
        {
            "JupyterHub": {"authenticator_class": "oauthenticator.github.GitHubOAuthenticator"},
            "GitHubOAuthenticator": {"allow_all": True},
        },
        ALLOW_ALL,
    ),
    "generic-oauth": (
        {
            "JupyterHub": {"authenticator_class": "generic-oauth"},
            "GenericOAuthenticator": {
                "authorize_url": "https://auth.example/authorize",
                "token_url": "https://auth.example/token",
                "userdata_url": "https://auth.example/userinfo",
                "username_claim": "email",
                "allowed_groups": ["hub-users"],
                "claim_groups_key": "groups",
            },
        },
        (),
    ),
    "google-domain": (
        {
            "JupyterHub": {"authenticator_class": "google"},
            "GoogleOAuthenticator": {"hosted_domain": ["2i2c.org"], "login_service": "2i2c"},
        },
        (),
    ),
    "google-allow-all-on-authenticator-base": (
        {"JupyterHub": {"authenticator_class": "google"}, "Authenticator": {"allow_all": True}},
        ALLOW_ALL,
    ),
    "shared-password": (
        {"JupyterHub": {"authenticator_class": "shared-password"}, "Authenticator": {"admin_users": ["a"]}},
        (),
    ),
    "tmp": ({"JupyterHub": {"authenticator_class": "tmp"}}, TMP),
    "tmp-class-path": ({"JupyterHub": {"authenticator_class": "tmpauthenticator.TmpAuthenticator"}}, TMP),
    "null": ({"JupyterHub": {"authenticator_class": "null"}}, ()),
    "dummy": ({"JupyterHub": {"authenticator_class": "dummy"}}, DUMMY),
    "dummy-class-path": (
        {"JupyterHub": {"authenticator_class": "jupyterhub.auth.DummyAuthenticator"}},
        DUMMY,
    ),
    "dummy-and-allow-all": (
        {"JupyterHub": {"authenticator_class": "DummyAuthenticator"}, "Authenticator": {"allow_all": True}},
        DUMMY + ALLOW_ALL,
    ),
    "no-config-at-all": ({}, ()),
}
WANT = {
    "dummy": ("error", "JupyterHub", "authenticator_class"),
    "tmp": ("warning", "JupyterHub", "authenticator_class"),
    "allow_all": ("warning", None, "allow_all"),
}


def _findings(values, hub=None, cluster=REMOTE):
    hub = hub or Hub("h", "c", "h.example")
    return policy.auth_problems(hub, cluster, values, lambda keypath: "hubs/h/values.yaml")


@pytest.mark.parametrize("wrap", [None, "jupyterhub"], ids=["jupyterhub-chart", "basehub-chart"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_policy_over_every_authenticator_shape(shape, wrap):
    config, expected = SHAPES[shape]
    values = {"hub": {"config": config}} if config else {"singleuser": {}}
    if wrap:
        values = {"nfs": {"enabled": True}, wrap: values}
    found = _findings(values)
    prefix = (wrap,) if wrap else ()
    got = sorted((p.severity, p.keypath) for p in found)
    want = []
    for kind in expected:
        severity, cls, leaf = WANT[kind]
        if cls is None:
            cls = next(c for c, t in config.items() if isinstance(t, dict) and t.get("allow_all") is True)
        want.append((severity, (*prefix, "hub", "config", cls, leaf)))
    assert got == sorted(want)
    assert all(p.file == "hubs/h/values.yaml" and p.hub == "h" for p in found)
    # Waivers silence exactly their own finding; a local cluster is for trying things.
    waive = {"dummy": "dummy-authenticator", "tmp": "tmp-authenticator", "allow_all": "allow-all"}
    waived = Hub("h", "c", "h.example", waive={waive[k]: "reason" for k in expected})
    assert _findings(values, waived) == []
    assert _findings(values, cluster=LOCAL) == []


def test_policy_checks_the_root_and_one_subchart_key_only():
    dummy = {"hub": {"config": {"JupyterHub": {"authenticator_class": "dummy"}}}}
    both = {**dummy, "jupyterhub": dummy}
    assert sorted(p.keypath[0] for p in _findings(both)) == ["hub", "jupyterhub"]
    # A daskhub-style double wrap (basehub.jupyterhub.hub.config) is out of reach, and other
    # subcharts' `config:` (binderhub-service.config.BinderHub) is not a hub config.
    assert _findings({"basehub": {"jupyterhub": dummy}}) == []
    assert _findings({"binderhub-service": {"config": {"BinderHub": {"allow_all": True}}}}) == []


@pytest.mark.parametrize(
    ("layer", "keypath"),
    [
        (
            {"jupyterhub": {"hub": {"config": {"GitHubOAuthenticator": {"client_secret": "abc"}}}}},
            ("jupyterhub", "hub", "config", "GitHubOAuthenticator", "client_secret"),
        ),
        (
            {"hub": {"config": {"SharedPasswordAuthenticator": {"user_password": "workshop-2024"}}}},
            ("hub", "config", "SharedPasswordAuthenticator", "user_password"),
        ),
        (
            {
                "jupyterhub": {
                    "hub": {"config": {"SharedPasswordAuthenticator": {"admin_password": "x" * 32}}}
                }
            },
            ("jupyterhub", "hub", "config", "SharedPasswordAuthenticator", "admin_password"),
        ),
        (
            {"jupyterhub": {"hub": {"extraEnv": [{"name": "GITHUB_TOKEN", "value": "ghp_x"}]}}},
            ("jupyterhub", "hub", "extraEnv", 0, "value"),
        ),
    ],
)
def test_secret_key_check_at_any_depth(layer, keypath):
    assert [p.keypath for p in policy.secret_key_problems("l.yaml", layer)] == [keypath]


def test_no_secret_findings_on_the_real_layers():
    for path in sorted(FIXTURE.rglob("*.yaml")):
        if "charts" in path.parts or path.name in {"hub.yaml", "cluster.yaml", "fleet.yaml"}:
            continue
        layer = yamlio.parse(path.read_bytes(), str(path), allow_empty=True)
        assert policy.secret_key_problems(str(path), layer) == [], path
