"""`invoke validate` with the JupyterHub-aware checks: located lines, exit codes, the cache."""

from __future__ import annotations

import pytest

from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import render as render_cmd
from hubfleet.cli.commands import validate as validate_cmd

OCEANS = "hubs/oceans/values.yaml"


def _append(root, rel: str, text: str) -> None:
    path = root / rel
    path.write_text(path.read_text() + text)


def _run(capsys, **kwargs) -> tuple[int, list[str]]:
    code = boundary(validate_cmd.run, **kwargs)
    return code, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "    Authenticator:\n      admin_userz: [a]\n",
            "hubs/oceans/values.yaml:15: hub.config.Authenticator.admin_userz: unknown trait of Authenticator "
            "(jupyterhub 5.5.0 in the chart's hub image): JupyterHub would ignore it with only a log line "
            "(did you mean `admin_users`?)",
        ),
        (
            "    KubeSpawner:\n      start_timeout: soon\n",
            "hubs/oceans/values.yaml:15: hub.config.KubeSpawner.start_timeout: must be an integer (Int), "
            'got the string "soon"',
        ),
        (
            "  extraConfig:\n    10-x: |\n      c.JupyterHub.x = (\n",
            "hubs/oceans/values.yaml:15: hub.extraConfig.10-x: Python syntax error on line 1 of this snippet: "
            "'(' was never closed",
        ),
    ],
)
def test_a_jupyterhub_typo_is_one_located_error(seeded_fleet, capsys, text, line):
    _append(seeded_fleet, OCEANS, text)
    code, err = _run(capsys)
    assert code == 1
    assert line in err, "\n".join(err)


def test_a_profile_override_typo_is_located_in_its_layer(seeded_fleet, capsys):
    _append(
        seeded_fleet,
        OCEANS,
        "singleuser:\n  profileList:\n    - display_name: big\n      kubespawner_override:\n"
        "        mem_limit: 8G\n        imagee: quay.io/org/img:2024.1.2\n",
    )
    code, err = _run(capsys, hub="oceans")
    assert code == 1
    assert any(
        e.startswith("hubs/oceans/values.yaml:19: singleuser.profileList[0].kubespawner_override.imagee: ")
        and "did you mean `image`?" in e
        for e in err
    ), err


def test_a_custom_hub_image_makes_unknown_classes_warnings(seeded_fleet, capsys):
    _append(seeded_fleet, OCEANS, "    MyQuotaManager:\n      limit: 3\n")
    code, err = _run(capsys)
    assert code == 1 and any("hub.config.MyQuotaManager: no configurable class" in e for e in err)

    _append(seeded_fleet, OCEANS, "  image:\n    name: example.org/our-hub\n    tag: 2025.01.07\n")
    assert boundary(render_cmd.run) == 0  # the rendered file follows its layers
    code, err = _run(capsys)
    assert code == 0, err
    assert [e for e in err if "MyQuotaManager" in e] == [
        "hubs/oceans/values.yaml:14: hub.config.MyQuotaManager: warning: no configurable class "
        "`MyQuotaManager` in the chart's hub image quay.io/jupyterhub/k8s-hub:4.4.0; this hub runs its own "
        "hub image `example.org/our-hub:2025.01.07`, which may differ"
    ]


def test_notes_do_not_fail_and_are_counted(seeded_fleet, capsys):
    path = seeded_fleet / OCEANS
    path.write_text(
        path.read_text().replace("groups_key: groups\n", "groups_key: groups\n      admin_users: [b]\n")
    )
    _append(seeded_fleet, OCEANS, "    Authenticator:\n      admin_users: [a]\n")
    assert boundary(render_cmd.run) == 0  # the rendered file follows its layers
    code = boundary(validate_cmd.run, hub="oceans")
    out = capsys.readouterr()
    assert code == 0, out.err
    assert (
        "hubs/oceans/values.yaml:16: hub.config.Authenticator.admin_users: info: overridden by "
        "hub.config.GenericOAuthenticator.admin_users (the nearer class wins)"
    ) in out.err
    assert "1 note(s)" in out.out


def test_a_cached_result_is_not_reused_when_the_values_change(seeded_fleet, capsys):
    assert _run(capsys)[0] == 0
    _append(seeded_fleet, OCEANS, "    KubeSpawner:\n      imagee: x\n")
    code, err = _run(capsys)
    assert code == 1 and any("KubeSpawner.imagee" in e for e in err)
    assert _run(capsys) == (code, err)  # warm: the same findings from the cache


def test_commands_that_do_not_validate_never_read_a_catalogue(example_fleet, capsys):
    from hubfleet.adapters import traitdata
    from hubfleet.cli.commands import render as render_cmd

    traitdata.catalogue.cache_clear()
    assert boundary(render_cmd.run, check=True) in (0, 1)
    assert traitdata.catalogue.cache_info().misses == 0
