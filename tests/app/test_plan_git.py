"""`invoke plan` correctness on real git repositories made here (tmp_path, git init, commits)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hubfleet.app import plan as plan_app
from hubfleet.cli.commands import plan as plan_cmd
from hubfleet.cli.reports import markdown
from hubfleet.core.errors import HubfleetError

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

FLEET = """\
charts:
  jupyterhub: {repo: https://hub.jupyter.org/helm-chart/, version: 4.3.0}
  basehub: {path: charts/basehub}
default_chart: jupyterhub
"""


def hub(name: str, cluster: str, stage: str = "prod", **extra: str) -> str:
    lines = [f"name: {name}", f"cluster: {cluster}", f"domain: {name}.example.org", f"stage: {stage}"]
    return "\n".join(lines + [f"{k}: {v}" for k, v in extra.items()]) + "\n"


BASE = {
    "fleet.yaml": FLEET,
    "README.md": "# my fleet\n",
    "charts/basehub/Chart.yaml": "name: basehub\nversion: 0.1.0\n",
    "clusters/common.values.yaml": "singleuser:\n  image: {name: img, tag: '1'}\n",
    "clusters/uni/cluster.yaml": "name: uni\nprovider: kubeconfig\nkubeconfig: {context: uni}\n",
    "clusters/uni/common.values.yaml": (
        "hub:\n  db: {type: sqlite-pvc}\n  extraEnv: {HOST: '${hub:domain}'}\n"
    ),
    "clusters/uni-west/cluster.yaml": "name: uni-west\nprovider: kubeconfig\nkubeconfig: {context: w}\n",
    "hubs/uni-staging/hub.yaml": hub("uni-staging", "uni", "staging"),
    "hubs/uni-a/hub.yaml": hub("uni-a", "uni"),
    "hubs/uni-b/hub.yaml": hub("uni-b", "uni"),
    "hubs/uni-b/values.yaml": "# b keeps its own db\nhub:\n  db: {type: postgres}\n",
    "hubs/west-a/hub.yaml": hub("west-a", "uni-west"),
    "hubs/west-a/secrets.yaml": "hub: {cookieSecret: ENC[AES256_GCM,data:abc]}\n",
    "hubs/west-base/hub.yaml": hub("west-base", "uni-west", chart="basehub"),
}


class Repo:
    """A throwaway git repository holding a fleet (optionally in a subfolder)."""

    def __init__(self, path: Path, sub: str = "") -> None:
        self.top = path
        self.root = path / sub if sub else path
        self.root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        env_args = ["-c", "user.name=test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false"]
        done = subprocess.run(
            ["git", *env_args, *args], cwd=self.top, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    def commit(self, files: dict[str, str | None], msg: str = "change") -> str:
        for rel, text in files.items():
            path = self.root / rel
            if text is None:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", msg)
        return self.git("rev-parse", "HEAD")

    def plan(self, base: str, head: str = "HEAD"):
        result, fleet = plan_app.compute(self.root, base, head)
        return result, fleet

    def planned(self, base: str, head: str = "HEAD") -> dict[str, list[str]]:
        return {h.name: list(h.reasons) for h in self.plan(base, head)[0].hubs}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "repo", sub="fleet")  # the fleet root is a subfolder of the git repo
    r.base = r.commit(BASE, "base")
    return r


def test_cluster_layer_change_skips_the_hub_that_overrides_the_key(repo: Repo):
    repo.commit(
        {
            "clusters/uni/common.values.yaml": BASE["clusters/uni/common.values.yaml"].replace(
                "sqlite-pvc", "sqlite-memory"
            )
        }
    )
    assert repo.planned(repo.base) == {
        "uni-staging": ["values changed: hub.db.type"],
        "uni-a": ["values changed: hub.db.type"],
    }


def test_comment_or_readme_change_plans_nothing(repo: Repo):
    repo.commit(
        {"README.md": "# changed\n", "hubs/uni-b/values.yaml": "# reworded\nhub:\n  db: {type: postgres}\n"}
    )
    repo.commit({"clusters/common.values.yaml": "# a comment\n" + BASE["clusters/common.values.yaml"]})
    result, _ = repo.plan(repo.base)
    assert result.hubs == () and result.removed == ()


def test_chart_version_bump_plans_every_hub_of_that_chart(repo: Repo):
    repo.commit({"fleet.yaml": FLEET.replace("4.3.0", "4.4.0")})
    planned = repo.planned(repo.base)
    assert set(planned) == {"uni-staging", "uni-a", "uni-b", "west-a"}
    assert planned["uni-a"] == ["chart jupyterhub 4.3.0 -> jupyterhub 4.4.0"]


def test_a_changed_chart_repository_is_named_in_the_reason(repo: Repo):
    repo.commit(
        {"fleet.yaml": FLEET.replace("https://hub.jupyter.org/helm-chart/", "https://mirror.example/z2jh/")}
    )
    assert repo.planned(repo.base)["uni-a"] == [
        "chart jupyterhub 4.3.0: repository https://hub.jupyter.org/helm-chart/ -> https://mirror.example/z2jh/"
    ]


def test_a_chart_downgrade_warns_in_the_plan(repo: Repo, capsys, monkeypatch):
    repo.commit({"fleet.yaml": FLEET.replace("4.3.0", "4.2.1")})
    assert repo.planned(repo.base)["uni-a"] == ["chart jupyterhub 4.3.0 -> jupyterhub 4.2.1: a downgrade"]
    monkeypatch.chdir(repo.root)
    assert plan_cmd.run(base=repo.base, head="HEAD") == 0
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert "warning: hub uni-a: chart jupyterhub 4.3.0 -> jupyterhub 4.2.1: a downgrade" in out
    assert out.count(": a downgrade: Helm") == 4  # every hub of the chart; not west-base (a folder chart)


def test_chart_folder_content_change(repo: Repo):
    repo.commit({"charts/basehub/templates/x.yaml": "kind: ConfigMap\n"})
    assert repo.planned(repo.base) == {"west-base": ["chart charts/basehub (folder): folder content changed"]}


def test_secrets_change_plans_only_that_hub(repo: Repo):
    repo.commit({"hubs/west-a/secrets.yaml": "hub: {cookieSecret: ENC[AES256_GCM,data:xyz]}\n"})
    assert repo.planned(repo.base) == {"west-a": ["hubs/west-a/secrets.yaml changed"]}


def test_hub_moved_to_another_cluster(repo: Repo):
    repo.commit({"hubs/uni-a/hub.yaml": hub("uni-a", "uni-west")})
    (moved,) = repo.plan(repo.base)[0].hubs
    assert (moved.name, moved.cluster) == ("uni-a", "uni-west")
    assert moved.reasons[0] == "moved cluster uni -> uni-west"


def test_hub_added_and_hub_removed(repo: Repo):
    repo.commit({"hubs/uni-c/hub.yaml": hub("uni-c", "uni"), "hubs/west-a": None})
    result, _ = repo.plan(repo.base)
    assert [(h.name, h.reasons) for h in result.hubs] == [("uni-c", ("new hub",))]
    assert [(r.name, r.cluster) for r in result.removed] == [("west-a", "uni-west")]


def test_interpolated_fact_change_propagates(repo: Repo):
    repo.commit(
        {"hubs/uni-a/hub.yaml": hub("uni-a", "uni").replace("uni-a.example.org", "a.uni.example.org")}
    )
    assert repo.planned(repo.base) == {"uni-a": ["values changed: hub.extraEnv.HOST"]}


def test_fact_not_used_in_values_plans_nothing(repo: Repo):
    repo.commit(
        {"hubs/west-a/hub.yaml": hub("west-a", "uni-west").replace("west-a.example.org", "w.example.org")}
    )
    assert repo.planned(repo.base) == {}


def test_prefix_cluster_names_never_confused(repo: Repo):
    repo.commit({"clusters/uni-west/common.values.yaml": "hub: {db: {type: sqlite-memory}}\n"})
    assert set(repo.planned(repo.base)) == {"west-a", "west-base"}
    layer = BASE["clusters/uni/common.values.yaml"]
    repo.commit({"clusters/uni/common.values.yaml": layer.replace("sqlite-pvc", "x")})
    assert set(repo.planned("HEAD~1")) == {"uni-staging", "uni-a"}


def test_order_clusters_by_name_staging_first(repo: Repo):
    repo.commit({"clusters/common.values.yaml": "singleuser:\n  image: {name: img, tag: '2'}\n"})
    result, _ = repo.plan(repo.base)
    assert [(h.cluster, h.name) for h in result.hubs] == [
        ("uni", "uni-staging"),
        ("uni", "uni-a"),
        ("uni", "uni-b"),
        ("uni-west", "west-a"),
        ("uni-west", "west-base"),
    ]


def test_hub_broken_at_base_counts_as_changed(repo: Repo):
    repo.commit({"hubs/uni-a/values.yaml": "x: ${nope.key}\n"}, "break")
    broken = repo.git("rev-parse", "HEAD")
    repo.commit({"hubs/uni-a/values.yaml": "x: 1\n"}, "fix")
    assert repo.planned(broken) == {"uni-a": ["values did not render at base"]}


def test_hub_that_fails_to_render_at_head_is_a_located_error(repo: Repo):
    repo.commit({"hubs/uni-a/values.yaml": "hub:\n  x: 1\n  y: ${hub.nope}\n"})
    with pytest.raises(HubfleetError) as e:
        repo.plan(repo.base)
    (problem,) = e.value.problems
    assert problem.file == "hubs/uni-a/values.yaml" and problem.line == 3


def test_unknown_revision_is_one_clear_line(repo: Repo):
    with pytest.raises(HubfleetError, match="`nope` is not a commit"):
        repo.plan("nope")


def test_run_writes_contract_json_and_markdown(repo: Repo, monkeypatch, tmp_path: Path):
    head = repo.commit({"hubs/west-a/secrets.yaml": "hub: {cookieSecret: ENC[AES256_GCM,data:new]}\n"})
    monkeypatch.chdir(repo.root / "hubs")  # the fleet root is found upward
    out, md = tmp_path / "plan.json", tmp_path / "plan.md"
    assert plan_cmd.run(base=repo.base, head="HEAD", json_out=str(out), markdown_out=str(md)) == 0
    doc = json.loads(out.read_text())
    assert doc == {
        "base": repo.base,
        "head": head,
        "hubs": [
            {
                "name": "west-a",
                "cluster": "uni-west",
                "stage": "prod",
                "reasons": ["hubs/west-a/secrets.yaml changed"],
            }
        ],
        "removed": [],
    }
    text = md.read_text()
    assert "secrets.yaml changed" in text and "cookieSecret" not in text and "ENC[" not in text


def test_default_base_is_head_parent_without_origin(repo: Repo):
    repo.commit({"hubs/uni-a/values.yaml": "a: 1\n"})
    result, _ = repo.plan(None)
    assert result.base == repo.base and [h.name for h in result.hubs] == ["uni-a"]


def test_markdown_has_diff_and_graph(repo: Repo):
    repo.commit(
        {"clusters/uni/common.values.yaml": "hub:\n  db: {type: x}\n  extraEnv: {HOST: '${hub:domain}'}\n"}
    )
    result, fleet = repo.plan(repo.base)
    text = markdown(result, fleet.config.rollout)
    assert "-    type: sqlite-pvc\n+    type: x" in text
    assert "<details>" in text and "```mermaid" in text and '{"health"}' in text
