"""Fault injection: real signals to a real `invoke deploy` process at several points.

The fleet's secrets (a hub `secrets.yaml` and the cluster's sops-encrypted kubeconfig) are
encrypted with real sops; `helm upgrade` is the recording stand-in told to hang, and `sops` is
a stand-in wrapper around real sops that can hang after decrypting. After SIGTERM, SIGHUP or
SIGKILL at each point: no file anywhere (the fleet, the state folder, the temp dirs, /dev/shm)
holds a decrypted byte, and no helm or sops process of the deploy is left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from helpers.fleetbuild import KUBECTL_LOG, render_all, write
from helpers.realtools import sops_encrypt
from helpers.standin import records

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

SOPS_WRAPPER = """#!{python}
# A stand-in for sops (not sops): real sops, then a pause where the test wants one.
import os, subprocess, sys, time
done = subprocess.run([{real!r}, *sys.argv[1:]], capture_output=True)
time.sleep(float(os.environ.get("FAULT_SOPS_SLEEP") or 0))
sys.stderr.buffer.write(done.stderr)
sys.stdout.buffer.write(done.stdout)
sys.exit(done.returncode)
"""


@pytest.fixture
def faulty(deploy_env, tmp_path):
    """deploy_env plus an encrypted kubeconfig for its cluster and a pausing sops stand-in.

    The secrets are new for each test, so nothing another test left in /tmp matches them."""
    deploy_env.secret = f"hub-secret-{uuid.uuid4().hex}"
    deploy_env.kube_token = f"kube-token-{uuid.uuid4().hex}"
    kubeconfig = (
        f"apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: {deploy_env.kube_token}\n"
    )
    sops_encrypt(
        deploy_env.sops,
        deploy_env.recipient,
        kubeconfig,
        deploy_env.root / "clusters/k1/kubeconfig.secret.yaml",
    )
    write(
        deploy_env.root,
        "clusters/k1/cluster.yaml",
        "name: k1\nprovider: kubeconfig\nkubeconfig: {context: ctx-k1, file: kubeconfig.secret.yaml}\n",
    )
    deploy_env.add_secrets("alpha", f"secretToken: {deploy_env.secret}\n")
    render_all(deploy_env.root)
    wrapper = deploy_env.bin / "sops"
    wrapper.write_text(SOPS_WRAPPER.format(python=sys.executable, real=str(deploy_env.sops)))
    wrapper.chmod(0o755)
    return deploy_env


def start_deploy(env, **extra: str) -> subprocess.Popen:
    environ = {
        **os.environ,
        "HUBFLEET_SOPS": str(env.bin / "sops"),
        "TMPDIR": str(env.tmp),
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "400",  # one line per result: the messages are checked whole
        **extra,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "invoke",
            "--search-root",
            str(REPO),
            "deploy",
            "--hub",
            "alpha",
            "--no-health",
        ],
        cwd=env.root,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def ours(env) -> list[psutil.Process]:
    """Live helm/sops processes started for this deploy (the stand-ins and what they exec)."""
    found = []
    for p in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmd = " ".join(p.info["cmdline"] or [])
            envs = p.info["environ"] or {}
            mine = str(env.bin) in cmd or envs.get("HUBFLEET_SOPS") == str(env.bin / "sops")
            if mine and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except psutil.Error:
            continue
    return found


def plaintext_files(env, since: float) -> list[str]:
    """Files holding a decrypted secret: the fleet, the state folder, the temp dirs, /dev/shm.

    The helm and kubectl stand-ins' own records (`env.log`, KUBECTL_LOG: what they were given, for
    the assertions) are not hubfleet's and are left out."""
    needles = (env.secret.encode(), env.kube_token.encode())
    bases = [env.root, env.tmp, Path(os.environ["HUBFLEET_STATE"]), Path("/tmp"), Path("/dev/shm")]
    hits = []
    for base in bases:
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                path = Path(dirpath, name)
                if path == env.log or path.name == KUBECTL_LOG:
                    continue
                try:
                    st = path.lstat()
                    if not path.is_file() or st.st_size > 5_000_000:
                        continue
                    if base in (Path("/tmp"), Path("/dev/shm")) and st.st_mtime < since:
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue
                if any(n in data for n in needles):
                    hits.append(str(path))
    return hits


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def helm_upgrade_running(env) -> bool:
    return bool(records(env.log, "upgrade"))


def sops_paused(env) -> bool:
    """The sops stand-in has decrypted (its real sops exited) and now holds the clear text."""
    standins = [p for p in ours(env) if _safe(p) and str(env.bin / "sops") in " ".join(p.cmdline())]
    return any(_safe(p) and not p.children() for p in standins)


def _safe(p: psutil.Process) -> bool:
    try:
        p.cmdline()
        return True
    except psutil.Error:
        return False


POINTS = {
    "while helm upgrade runs": ({"STANDIN_SLEEP": "60"}, helm_upgrade_running),
    "while sops decrypts": ({"FAULT_SOPS_SLEEP": "60"}, sops_paused),
}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name)
@pytest.mark.parametrize("point", list(POINTS))
def test_signal_leaves_no_plaintext_and_no_helm(faulty, point, sig):
    since = time.time() - 1
    knobs, reached = POINTS[point]
    proc = start_deploy(faulty, **knobs)
    try:
        assert wait_for(lambda: reached(faulty)), proc.stdout.read1().decode() if proc.poll() else point
        os.kill(proc.pid, sig)
        code = proc.wait(timeout=30)
        output = proc.stdout.read().decode()
        if sig != signal.SIGKILL:
            assert code == 128 + sig, output
            assert "Traceback" not in output and sig.name in output, output
        assert wait_for(lambda: not ours(faulty), 10), [p.cmdline() for p in ours(faulty) if _safe(p)]
        assert plaintext_files(faulty, since) == []
    finally:
        for p in ours(faulty):
            p.kill()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_secrets_reach_helm_in_memory_only(faulty):
    """During the call, the decrypted values and kubeconfig are /dev/fd/N, never a path on disk."""
    proc = start_deploy(faulty)
    out = proc.communicate(timeout=120)[0].decode()
    assert proc.returncode == 0, out
    [call] = records(faulty.log, "upgrade")
    argv = call["argv"]
    secrets_arg = argv[[i for i, a in enumerate(argv) if a == "--values"][-1] + 1]
    kube_arg = argv[argv.index("--kubeconfig") + 1]
    assert secrets_arg.startswith("/dev/fd/") and kube_arg.startswith("/dev/fd/"), argv
    assert call["values"][secrets_arg] == f"secretToken: {faulty.secret}\n"
    assert faulty.secret not in out and faulty.kube_token not in out


def test_one_deploy_per_fleet_at_a_time(faulty):
    """A second `invoke deploy` while one runs: one line naming the holder, and helm never overlaps."""
    first = start_deploy(faulty, STANDIN_SLEEP="6")
    try:
        assert wait_for(lambda: helm_upgrade_running(faulty))
        second = start_deploy(faulty)
        out = second.communicate(timeout=60)[0].decode()
        assert second.returncode == 1, out
        assert "another deploy of this fleet is running (pid" in out and "invoke deploy --hub alpha" in out
        assert "Traceback" not in out
        assert first.wait(timeout=60) == 0
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    assert len(records(faulty.log, "upgrade")) == 1


def test_one_helm_per_release_across_fleet_copies(faulty, tmp_path):
    """Two state folders (two copies of a fleet) deploying the same release: the second waits for
    nothing and fails that release, naming the holder."""
    first = start_deploy(faulty, STANDIN_SLEEP="6")
    try:
        assert wait_for(lambda: helm_upgrade_running(faulty))
        second = start_deploy(faulty, HUBFLEET_STATE=str(tmp_path / "other-state"))
        out = second.communicate(timeout=120)[0].decode()
        assert second.returncode == 1, out
        assert "release alpha in namespace alpha on cluster k1 is being deployed by another process" in out
        assert first.wait(timeout=60) == 0
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    assert len(records(faulty.log, "upgrade")) == 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
def test_replicated_deploy_sh_leaves_no_plaintext(faulty, tmp_path, age_key, sig):
    """The bundle's deploy.sh: sops decrypts into a shell variable, Helm reads it from a pipe; a
    signal to bash while Helm runs leaves the clear secrets in no file."""
    from helpers.standin import make_standin
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import load_fleet
    from hubfleet.app.replicate import write_replica

    since = time.time() - 1
    out = tmp_path / "replica"
    write_replica(faulty.root, load_fleet(DirSource(faulty.root)), "alpha", out)
    only = tmp_path / "only"
    make_standin(only, "helm", faulty.log)
    (only / "sops").symlink_to(faulty.sops)
    other_verbs = tmp_path / "other-verbs"  # `helm repo add`: succeed at once (a stand-in, not helm)
    other_verbs.write_text("#!/bin/sh\nexit 0\n")
    other_verbs.chmod(0o755)
    proc = subprocess.Popen(
        [
            "env",
            "-i",
            f"PATH={only}:/usr/bin:/bin",
            f"SOPS_AGE_KEY_FILE={age_key[0]}",
            f"TMPDIR={faulty.tmp}",
            "STANDIN_SLEEP=60",
            f"STANDIN_REAL={other_verbs}",
            "/bin/bash",
            str(out / "deploy.sh"),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        if not wait_for(lambda: helm_upgrade_running(faulty) or proc.poll() is not None):
            pytest.fail("deploy.sh never reached helm upgrade")
        assert proc.poll() is None, proc.stdout.read().decode()
        [call] = records(faulty.log, "upgrade")
        piped = [a for a in call["argv"] if a.startswith("/dev/fd/")]
        assert piped and faulty.secret in call["values"][piped[0]]  # Helm got it, from a pipe
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)
        assert plaintext_files(faulty, since) == []
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the script's helm, which a plain shell does not stop
        proc.wait()


def test_helm_output_is_masked_in_every_encoding(faulty):
    """Helm printing the hub secret base64-encoded and JSON-escaped, and a kubeconfig token: none
    of them reaches hubfleet's output."""
    import base64
    import json

    forms = [
        base64.b64encode(f"secretToken: {faulty.secret}\n".encode()).decode(),
        json.dumps({"secretToken": faulty.secret}),
        faulty.kube_token,
    ]
    proc = start_deploy(faulty, STANDIN_FAIL="1", STANDIN_STDERR="Error: " + " | ".join(forms))
    out = proc.communicate(timeout=120)[0].decode()
    assert proc.returncode == 1 and "*****" in out, out
    for form in [faulty.secret, faulty.kube_token, forms[0][8:-8]]:
        assert form not in out, form
