"""The JupyterHub-aware checks (core.hubconfig, core.images) over dict literals and the real catalogue."""

from __future__ import annotations

import pytest

from hubfleet.adapters import traitdata
from hubfleet.core.hubconfig import Z2jh, check
from hubfleet.core.images import split, tag_problem

FILE = "hubs/h/values.yaml"


@pytest.fixture(scope="module")
def cat():
    found = traitdata.catalogue("4.4.0")
    assert found is not None
    return found


def run(cat, values, *, version="4.4.0", prefix=(), file_of=None):
    """Findings as {keypath string: (severity, message)}."""
    found = check(values, Z2jh(prefix, cat, version), file_of or (lambda _k: FILE), "h")
    out = {}
    for p in found:
        key = ".".join(str(k) for k in p.keypath)
        assert key not in out, f"two findings at {key}: {out[key]} and {p}"
        out[key] = (p.severity, p.message)
        assert p.file == FILE and p.hub == "h"
    return out


def config(**sections):
    return {"hub": {"config": sections}}


def test_a_misspelled_trait_is_an_error_with_a_suggestion(cat):
    found = run(cat, config(GitHubOAuthenticator={"allowed_organisations": ["org"]}))
    severity, message = found["hub.config.GitHubOAuthenticator.allowed_organisations"]
    assert severity == "error"
    assert "unknown trait of GitHubOAuthenticator (oauthenticator 17.4.0" in message
    assert "did you mean `allowed_organizations`?" in message


def test_inherited_and_own_traits_are_known(cat):
    values = config(
        GitHubOAuthenticator={"allowed_organizations": ["org"], "admin_users": ["a"], "client_id": "x"},
        KubeSpawner={"image": "repo/img:1.0.2", "cmd": ["jupyterhub-singleuser"], "mem_limit": "2G"},
        JupyterHub={"authenticator_class": "github"},
    )
    assert run(cat, values) == {}


def test_an_unknown_class_is_an_error_on_the_charts_image_and_a_warning_on_another(cat):
    values = config(GitHubOAuthentcator={"client_id": "x"})
    severity, message = run(cat, values)["hub.config.GitHubOAuthentcator"]
    assert severity == "error"
    assert "quay.io/jupyterhub/k8s-hub:4.4.0" in message and "did you mean `GitHubOAuthenticator`?" in message

    values["hub"]["image"] = {"name": "example.org/my-hub", "tag": "2.1"}
    severity, message = run(cat, values)["hub.config.GitHubOAuthentcator"]
    assert severity == "warning"
    assert "this hub runs its own hub image `example.org/my-hub:2.1`" in message


def test_the_charts_own_image_set_explicitly_is_not_custom(cat):
    values = config(NoSuchThing={"a": 1})
    values["hub"]["image"] = {"name": "quay.io/jupyterhub/k8s-hub", "tag": "4.4.0"}
    assert run(cat, values)["hub.config.NoSuchThing"][0] == "error"


@pytest.mark.parametrize(
    ("section", "trait", "value", "expect"),
    [
        ("GitHubOAuthenticator", "allow_all", "yes", 'must be true or false (Bool), got the string "yes"'),
        ("KubeSpawner", "cpu_limit", "2", 'got the string "2"'),
        ("KubeSpawner", "start_timeout", 1.5, "must be an integer"),
        ("JupyterHub", "log_level", "debug", "did you mean `DEBUG`?"),
        ("KubeSpawner", "slug_scheme", "sfae", "must be one of `safe`, `escape`"),
        ("KubeSpawner", "environment", ["A=1"], "must be a mapping"),
        ("OAuthenticator", "allowed_groups", [1, "b"], "item 0 must be a string"),
        (
            "OAuthenticator",
            "modify_auth_state_hook",
            "my.hook",
            "which YAML cannot give: set it in hub.extraConfig",
        ),
    ],
)
def test_a_value_of_the_wrong_type_or_outside_its_enum_is_an_error(cat, section, trait, value, expect):
    severity, message = run(cat, config(**{section: {trait: value}}))[f"hub.config.{section}.{trait}"]
    assert severity == "error"
    assert expect in message


@pytest.mark.parametrize(
    ("section", "trait", "value"),
    [
        ("GitHubOAuthenticator", "allowed_organizations", "one-org"),  # traitlets takes one string
        ("KubeSpawner", "mem_limit", 2147483648),  # ByteSpecification: bytes or "2G"
        ("KubeSpawner", "cpu_limit", 2),  # an int for a Float
        ("JupyterHub", "log_level", 10),
        ("ConfigurableHTTPProxy", "log_level", "DEBUG"),  # CaselessStrEnum
        ("KubeSpawner", "image", None),  # Helm drops nulls
        ("KubeSpawner", "uid", 1000),  # Union(Int, Callable)
    ],
)
def test_values_traitlets_accepts_pass(cat, section, trait, value):
    assert run(cat, config(**{section: {trait: value}})) == {}


def test_deprecated_names_warn_with_their_replacement(cat):
    found = run(cat, config(CILogonOAuthenticator={"allowed_idps": {}}, KubeSpawner={"singleuser_uid": 1}))
    assert found["hub.config.CILogonOAuthenticator.allowed_idps"] == (
        "warning",
        "deprecated since 17.4.0: use `idps` (oauthenticator 17.4.0 still reads this)",
    )
    assert found["hub.config.KubeSpawner.singleuser_uid"][0] == "warning"
    severity, message = run(cat, config(CILogonOAuthenticator={"username_claim": "email"}))[
        "hub.config.CILogonOAuthenticator.username_claim"
    ]
    assert severity == "error" and "refuses to start" in message  # not the same type: a ValueError


def test_configured_classes_must_exist(cat):
    found = run(
        cat, config(JupyterHub={"authenticator_class": "githbu", "spawner_class": "kubespawner.Kube"})
    )
    severity, message = found["hub.config.JupyterHub.authenticator_class"]
    assert severity == "error" and "did you mean `github`?" in message
    severity, message = found["hub.config.JupyterHub.spawner_class"]
    assert severity == "error" and "did you mean `kubespawner.KubeSpawner`?" in message


@pytest.mark.parametrize(
    "name",
    [
        "github",
        "GitHub",
        "tmp",
        "oauthenticator.github.GitHubOAuthenticator",
        "oauthenticator.GitHubOAuthenticator",
    ],
)
def test_entry_points_and_import_paths_name_classes(cat, name):
    assert run(cat, config(JupyterHub={"authenticator_class": name})) == {}


def test_parent_class_config_the_configured_class_overrides_is_info(cat):
    values = config(
        JupyterHub={"authenticator_class": "github"},
        Authenticator={"admin_users": ["a"], "allow_existing_users": True},
        GitHubOAuthenticator={"admin_users": ["b"]},
        Spawner={"cmd": ["x"]},
        CILogonOAuthenticator={"client_id": "x"},
    )
    found = run(cat, values)
    assert found["hub.config.Authenticator.admin_users"] == (
        "info",
        "overridden by hub.config.GitHubOAuthenticator.admin_users (the nearer class wins)",
    )
    severity, message = found["hub.config.Authenticator.allow_existing_users"]
    assert severity == "info" and message.startswith("OAuthenticator redefines `allow_existing_users`")
    assert found["hub.config.Spawner.cmd"][0] == "info"  # KubeSpawner redefines cmd
    assert found["hub.config.CILogonOAuthenticator"] == (
        "info",
        "has no effect: this hub's authenticator is GitHubOAuthenticator, not a CILogonOAuthenticator",
    )


def test_a_subclass_trait_on_a_parent_section_applies_and_is_info(cat):
    values = config(
        JupyterHub={"authenticator_class": "generic-oauth"}, Authenticator={"logout_redirect_url": "/x"}
    )
    severity, message = run(cat, values)["hub.config.Authenticator.logout_redirect_url"]
    assert severity == "info" and "applies only because this hub's GenericOAuthenticator has it" in message


def test_sections_nested_and_misplaced(cat):
    values = config(GitHubOAuthenticator={"Authenticator": {"admin_users": ["a"]}}, loadRoles={"x": {}})
    found = run(cat, values)
    assert found["hub.config.GitHubOAuthenticator.Authenticator"][0] == "warning"
    severity, message = found["hub.config.loadRoles"]
    assert severity == "error" and "the chart's hub exits at start" in message
    assert run(cat, config(JupyterHub={"Authenticator": {"admin_users": ["a"]}})) == {}


def test_profile_overrides_are_checked_against_kubespawner(cat):
    values = {
        "singleuser": {
            "profileList": [
                {
                    "display_name": "small",
                    "kubespawner_override": {"imagee": "x:1", "mem_limit": "1G", "cpu_limit": "one"},
                    "profile_options": {
                        "image": {
                            "choices": {
                                "a": {"kubespawner_override": {"image": "y:1.2.3", "nod_selector": {}}}
                            },
                            "unlisted_choice": {
                                "kubespawner_override": {"image": "{value}", "cpu_limit": "{value}"}
                            },
                        }
                    },
                }
            ]
        }
    }
    found = run(cat, values)
    severity, message = found["singleuser.profileList.0.kubespawner_override.imagee"]
    assert severity == "error" and "did you mean `image`?" in message
    assert found["singleuser.profileList.0.kubespawner_override.cpu_limit"][0] == "error"
    at = "singleuser.profileList.0.profile_options.image.choices.a.kubespawner_override.nod_selector"
    assert "did you mean `node_selector`?" in found[at][1]
    assert len(found) == 3  # the unlisted choice's `{value}` templates are not values


def test_extra_config_syntax_errors_name_the_snippet_line(cat):
    values = {"hub": {"extraConfig": {"00-ok": "c.JupyterHub.x = 1\n", "10-bad": "a = 1\nif a\n    pass\n"}}}
    assert run(cat, values) == {
        "hub.extraConfig.10-bad": ("error", "Python syntax error on line 2 of this snippet: expected ':'")
    }


def test_keys_only_the_upstream_charts_defaults_set_are_not_reported(cat):
    values = config(Nope={"x": 1}, Typo={"y": 2})
    found = run(cat, values, file_of=lambda k: FILE if "Typo" in k else None)
    assert list(found) == ["hub.config.Typo"]


def test_under_a_wrapper_charts_key(cat):
    found = run(cat, {"jupyterhub": config(KubeSpawner={"imagee": "x"})}, prefix=("jupyterhub",))
    assert list(found) == ["jupyterhub.hub.config.KubeSpawner.imagee"]


def test_a_chart_version_without_its_own_catalogue_only_warns(cat):
    severity, message = run(cat, config(KubeSpawner={"imagee": "x"}), version="4.3.3")[
        "hub.config.KubeSpawner.imagee"
    ]
    assert severity == "warning" and "hubfleet has none for 4.3.3" in message


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        ("jupyter/scipy-notebook:2024-03-18", None),
        ("quay.io/org/img@sha256:" + "a" * 64, None),
        ("registry:5000/org/img:1.2.3", None),
        ("jupyter/base", "no tag"),
        ("registry:5000/img", "no tag"),
        ("jupyter/base:latest", "`latest` changes"),
        ("rocker/geospatial:4.4", "moving tag"),
        ("org/img:main", "moving tag"),
    ],
)
def test_image_tags(ref, problem):
    name, tag = split(ref)
    found = tag_problem(name, tag)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_image_findings_are_warnings_where_the_fleet_sets_them(cat):
    values = {
        "hub": {"image": {"name": "quay.io/jupyterhub/k8s-hub", "tag": "4.4.0"}},
        "singleuser": {
            "image": {"name": "jupyter/base", "tag": "latest"},
            "profileList": [{"display_name": "p", "kubespawner_override": {"image": "org/img:2024.05.01"}}],
        },
    }
    found = run(cat, values)
    assert list(found) == ["singleuser.image.tag"]
    assert found["singleuser.image.tag"][0] == "warning"


def test_layering_notes_only_where_the_hubs_own_or_a_higher_layer_says_it(cat):
    values = config(
        JupyterHub={"authenticator_class": "github"},
        CILogonOAuthenticator={"client_id": "x"},
        Authenticator={"admin_users": ["a"]},
        GitHubOAuthenticator={"admin_users": ["b"]},
    )
    layers = ["clusters/common.values.yaml", FILE]

    def found(where):
        files = {
            k: where.get(k, FILE) for k in ("CILogonOAuthenticator", "Authenticator", "GitHubOAuthenticator")
        }
        file_of = lambda keypath: files.get(keypath[2], FILE) if len(keypath) > 2 else FILE  # noqa: E731
        got = check(values, Z2jh((), cat, "4.4.0"), file_of, "h", layers)
        return {".".join(map(str, p.keypath)) for p in got}

    # a shared layer configuring an authenticator some of its hubs do not use: normal
    assert "hub.config.CILogonOAuthenticator" not in found({"CILogonOAuthenticator": layers[0]})
    assert "hub.config.CILogonOAuthenticator" in found({})
    # the fleet's Authenticator.admin_users, the hub's own GitHubOAuthenticator.admin_users: layering
    assert "hub.config.Authenticator.admin_users" not in found({"Authenticator": layers[0]})
    # the hub's own Authenticator.admin_users loses to a shared layer's GitHubOAuthenticator value: a note
    assert "hub.config.Authenticator.admin_users" in found({"GitHubOAuthenticator": layers[0]})


def test_the_pass_fail_validator_and_fastjsonschemas_own_code_agree(monkeypatch):
    """The schema is compiled with fastjsonschema's generator minus messages; where that generator
    is laid out differently (another version), its public compile_to_code is used: same verdicts."""
    import fastjsonschema

    from hubfleet.core import chartschema

    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "a": {"type": "integer", "const": 1},
            "b": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "c": {"type": "object", "required": ["d"], "properties": {"d": {"enum": ["x", "y"]}}},
        },
    }
    docs = [
        {},
        {"a": 1},
        {"a": 2},
        {"b": None},
        {"b": 3},
        {"c": {}},
        {"c": {"d": "x"}},
        {"c": {"d": "z"}},
        {"e": 1},
    ]

    def verdicts(validate):
        out = []
        for doc in docs:
            try:
                validate(doc)
                out.append(True)
            except fastjsonschema.JsonSchemaException:
                out.append(False)
        return out

    fast = verdicts(chartschema._compile(schema, None))
    assert fast == [True, True, False, True, False, False, True, False, False]
    import fastjsonschema.ref_resolver

    monkeypatch.delattr(fastjsonschema.ref_resolver, "RefResolver")  # its own module keeps a reference
    assert "must be" in chartschema._generate(schema)  # compile_to_code's messages: the fallback ran
    assert verdicts(chartschema._compile(schema, None)) == fast


def test_a_section_and_profile_list_shared_by_hubs_are_judged_in_each_hubs_own_context(cat):
    """One shared-layer object in many hubs is checked once, yet each hub gets its own findings:
    its own file, and what the classes it uses make of the value."""
    shared_section = {"allowed_organisations": ["org"], "admin_users": ["a"]}
    shared_profiles = [{"display_name": "x", "kubespawner_override": {"imagee": "x:1"}}]
    seen = []
    for hub, auth in (("h1", "github"), ("h2", "generic-oauth"), ("h1", "github")):
        values = {
            "hub": {
                "config": {
                    "GitHubOAuthenticator": shared_section,
                    "JupyterHub": {"authenticator_class": auth},
                }
            },
            "singleuser": {"profileList": shared_profiles},
        }
        found = check(values, Z2jh((), cat, "4.4.0"), lambda k, hub=hub: f"hubs/{hub}/values.yaml", hub)
        seen.append({(p.file, ".".join(map(str, p.keypath)), p.severity) for p in found})
    typo = "hub.config.GitHubOAuthenticator.allowed_organisations"
    override = "singleuser.profileList.0.kubespawner_override.imagee"
    assert {("hubs/h1/values.yaml", typo, "error"), ("hubs/h1/values.yaml", override, "error")} <= seen[0]
    assert ("hubs/h2/values.yaml", typo, "error") in seen[1] and (
        "hubs/h2/values.yaml",
        override,
        "error",
    ) in seen[1]
    # h2 uses GenericOAuthenticator: a GitHubOAuthenticator section is a note there, not in h1
    unused = ("hubs/h2/values.yaml", "hub.config.GitHubOAuthenticator", "info")
    assert unused in seen[1] and unused[1:] not in {x[1:] for x in seen[0]}
    assert seen[2] == seen[0]
