"""A synthetic fleet of realistic size and shape, for benchmarks and scale tests.

`generate(root, clusters, hub_per_cluster)` writes a fleet that loads, renders and
validates with no error against the real jupyterhub 4.4.0 chart: a fleet layer of
~150 leaves, cluster layers of ~40, hub layers of ~30, with the shapes real fleets
have (OAuth authenticators with per-IdP settings, long `hub.extraConfig` Python,
`profileList` with nested `kubespawner_override`, shell snippets using the `\\${`
escape, `${hub:...}`, `${cluster:name}` and `${a.b.c}` interpolations). Output is
deterministic: the same arguments always write the same bytes.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from hubfleet.adapters import yamlio
from hubfleet.adapters.runner import Runner, run
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError

__all__ = ["PROVIDERS", "cluster_names", "commit", "count_leaves", "generate", "hub_names"]

PROVIDERS = ("kubeconfig", "gke", "eks", "aks")  # cycled over clusters
CHART_VERSION = "4.4.0"

FLEET_YAML = f"""\
# A synthetic fleet written by hubfleet.synth (benchmarks); not a real deployment.
charts:
  jupyterhub:
    repo: https://hub.jupyter.org/helm-chart/
    name: jupyterhub
    version: {CHART_VERSION}
  ingress-controller: {{path: charts/ingress-controller}}
  monitoring: {{path: charts/monitoring}}
default_chart: jupyterhub
# Support releases (contract v1.1) on every cluster, before its hubs.
support:
  - {{name: ingress, chart: ingress-controller, namespace: ingress}}
  - {{name: monitoring, chart: monitoring, namespace: monitoring}}
"""

# Two small support charts in the fleet, each with a strict values schema (as real charts have).
SUPPORT_CHARTS: dict[str, dict[str, Any]] = {
    "ingress-controller": {
        "defaults": {"controller": {"replicaCount": 1, "ingressClass": "nginx", "config": {}, "service": {}}},
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "global": {"type": "object"},
                "controller": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "replicaCount": {"type": "integer", "minimum": 1},
                        "ingressClass": {"type": "string"},
                        "config": {"type": "object", "additionalProperties": {"type": "string"}},
                        "service": {"type": "object"},
                        "metrics": {"type": "object"},
                        "podAnnotations": {"type": "object"},
                    },
                },
            },
        },
    },
    "monitoring": {
        "defaults": {"server": {"retention": "15d", "global": {}}, "alertmanager": {"enabled": True}},
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "global": {"type": "object"},
                "server": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "retention": {"type": "string"},
                        "global": {"type": "object"},
                        "persistentVolume": {"type": "object"},
                        "resources": {"type": "object"},
                    },
                },
                "alertmanager": {"type": "object"},
            },
        },
    },
}


def support_layers(cluster: str, provider: str, index: int) -> dict[str, dict[str, Any]]:
    """`clusters/<c>/support/<release>.values.yaml`: a few cluster-specific keys per release."""
    return {
        "ingress": {
            "controller": {
                "service": {"annotations": {"fleet.example.org/cluster": "${cluster:name}"}},
                "replicaCount": 2 + index % 3,
            }
        },
        "monitoring": {
            "server": {"global": {"external_labels": {"cluster": "${cluster:name}", "provider": provider}}}
        },
    }


FLEET_SUPPORT_LAYERS: dict[str, dict[str, Any]] = {
    "ingress": {
        "controller": {
            "ingressClass": "nginx",
            "config": {
                "proxy-body-size": "64m",
                "proxy-read-timeout": "3600",
                "use-forwarded-headers": "true",
            },
            "metrics": {"enabled": True, "serviceMonitor": {"enabled": False}},
            "podAnnotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "10254"},
        }
    },
    "monitoring": {
        "server": {
            "retention": "30d",
            "persistentVolume": {"size": "50Gi"},
            "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
        },
        "alertmanager": {"enabled": False},
    },
}

_LOGGING_PY = """\
import logging
import os

# Structured, quieter logs: the fleet's log pipeline parses `key=value` pairs.
c.JupyterHub.log_level = "INFO"
c.Application.log_format = "%(asctime)s level=%(levelname)s name=%(name)s %(message)s"
for noisy in ("tornado.access", "kubernetes.client.rest"):
    logging.getLogger(noisy).setLevel(logging.WARNING)
c.JupyterHub.template_vars.update({"hub_name": os.environ.get("HUB_NAME", "unknown")})
"""

_SPAWNER_PY = """\
from kubespawner import KubeSpawner


async def pre_spawn_hook(spawner: KubeSpawner) -> None:
    \"\"\"Label pods with the user's group and mount the shared folder read-only.\"\"\"
    groups = [g.name for g in spawner.user.groups]
    spawner.extra_labels["hub.example.org/group"] = (groups or ["none"])[0]
    if "instructors" in groups:
        spawner.volume_mounts = [
            m for m in spawner.volume_mounts if m.get("name") != "shared"
        ] + [{"name": "shared", "mountPath": "/home/jovyan/shared", "readOnly": False}]
    spawner.environment.setdefault("GROUPS", ",".join(groups))


c.KubeSpawner.pre_spawn_hook = pre_spawn_hook
c.KubeSpawner.profile_form_template = \"\"\"
<p>Pick an environment; larger ones may take a few minutes to start.</p>
{% for profile in profile_list %}<label>{{ profile.display_name }}</label>{% endfor %}
\"\"\"
"""

_POST_START = (
    'set -eu; mkdir -p "\\${HOME}/.config"; '
    'if [ ! -e "\\${HOME}/shared" ]; then ln -s /srv/shared "\\${HOME}/shared"; fi; '
    'echo "started on ${hub:domain} (cluster ${cluster:name}) as \\${JUPYTERHUB_USER:-nobody}" '
    '>> "\\${HOME}/.hub-starts.log"'
)


def count_leaves(data: Any) -> int:
    """Scalars in a document (list items count one each): the size measure of the issue."""
    if isinstance(data, dict):
        return sum(count_leaves(v) for v in data.values())
    if isinstance(data, list):
        return sum(count_leaves(v) for v in data)
    return 1


def _profile(slug: str, name: str, cpu: float, mem: str, image: str, default: bool = False) -> dict:
    profile: dict[str, Any] = {
        "display_name": name,
        "slug": slug,
        "description": f"{cpu:g} CPU, {mem} RAM",
        "kubespawner_override": {
            "cpu_limit": cpu,
            "mem_limit": mem,
            "image": image,
            "environment": {"PROFILE": slug},
        },
    }
    if default:
        profile["default"] = True
    return profile


def fleet_layer() -> dict[str, Any]:
    """`clusters/common.values.yaml`: what every hub of the fleet shares (~150 leaves)."""
    image = "quay.io/jupyter/scipy-notebook:2024-05-27"
    return {
        "hub": {
            "config": {
                "JupyterHub": {
                    "authenticator_class": "generic-oauth",
                    "admin_access": False,
                    "cleanup_servers": False,
                    "shutdown_on_logout": True,
                },
                "Authenticator": {
                    "enable_auth_state": True,
                    "admin_users": ["ops-alice", "ops-bob"],
                    "manage_groups": True,
                    "refresh_pre_spawn": True,
                },
                "GenericOAuthenticator": {
                    "login_service": "Institution SSO",
                    "oauth_callback_url": "https://${hub:domain}/hub/oauth_callback",
                    "authorize_url": "https://sso.example.org/oauth2/authorize",
                    "token_url": "https://sso.example.org/oauth2/token",
                    "userdata_url": "https://sso.example.org/oauth2/userinfo",
                    "scope": ["openid", "profile", "email", "groups"],
                    "username_claim": "preferred_username",
                    "claim_groups_key": "groups",
                    "allowed_groups": ["hub-users", "hub-${hub:name}"],
                    "admin_groups": ["hub-admins"],
                },
                "KubeSpawner": {
                    "http_timeout": 120,
                    "start_timeout": 600,
                    "working_dir": "/home/jovyan",
                    "delete_grace_period": 30,
                },
            },
            "extraConfig": {"00-logging": _LOGGING_PY, "10-spawner": _SPAWNER_PY},
            "extraEnv": {
                "HUB_NAME": "${hub:name}",
                "HUB_DOMAIN": "${hub:domain}",
                "OAUTH2_CLIENT_ID": "hub-${hub:name}",
            },
            "db": {"type": "sqlite-pvc", "pvc": {"storage": "1Gi"}},
            "resources": {"requests": {"cpu": "100m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
            "networkPolicy": {"enabled": True, "egressAllowRules": {"privateIPs": True}},
            "templateVars": {
                "org": {
                    "name": "Example Research Computing",
                    "url": "https://rc.example.org",
                    "logo_url": "https://rc.example.org/logo.svg",
                }
            },
            "loadRoles": {
                "monitoring": {
                    "description": "read metrics",
                    "scopes": ["read:metrics"],
                    "services": ["prometheus"],
                }
            },
            "concurrentSpawnLimit": 64,
            "consecutiveFailureLimit": 5,
            "allowNamedServers": False,
            "annotations": {"fleet.example.org/owner": "research-computing"},
            "services": {
                "prometheus": {"display": False},
                "hubfleet-health": {"admin": False},  # its token: the chart's hub Secret
                "announcements": {"url": "http://announce:8888", "display": True},
            },
        },
        "proxy": {
            "service": {"type": "ClusterIP"},
            "chp": {
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
                "networkPolicy": {"enabled": True},
            },
            "https": {"enabled": False},
        },
        "singleuser": {
            "image": {"name": "quay.io/jupyter/scipy-notebook", "tag": "2024-05-27"},
            "memory": {"limit": "4G", "guarantee": "1G"},
            "cpu": {"limit": 2, "guarantee": 0.5},
            "storage": {
                "type": "dynamic",
                "capacity": "10Gi",
                "homeMountPath": "/home/jovyan",
                "extraVolumes": [{"name": "shared", "persistentVolumeClaim": {"claimName": "shared"}}],
                "extraVolumeMounts": [{"name": "shared", "mountPath": "/srv/shared", "readOnly": True}],
            },
            "defaultUrl": "/lab",
            "startTimeout": 600,
            "extraFiles": {
                "server-config": {
                    "mountPath": "/etc/jupyter/jupyter_server_config.json",
                    "data": {"ServerApp": {"terminals_enabled": True, "shutdown_no_activity_timeout": 3600}},
                }
            },
            "extraEnv": {
                "MEM_LIMIT_TEXT": "${singleuser.memory.limit}",
                "HUB_DOMAIN": "${hub:domain}",
                "CLUSTER_NAME": "${cluster:name}",
                "JUPYTERHUB_SINGLEUSER_APP": "jupyter_server.serverapp.ServerApp",
                "PIP_CACHE_DIR": "/tmp/pip-cache",
                "CONDA_PKGS_DIRS": "/tmp/conda-pkgs",
            },
            "lifecycleHooks": {"postStart": {"exec": {"command": ["sh", "-c", _POST_START]}}},
            "networkPolicy": {"enabled": True, "egressAllowRules": {"privateIPs": False}},
            "cloudMetadata": {"blockWithIptables": True, "ip": "169.254.169.254"},
            "extraLabels": {
                "hub.jupyter.org/network-access-hub": "true",
                "fleet.example.org/hub": "${hub:name}",
            },
            "profileList": [
                _profile("small", "Small", 1, "2G", image, default=True),
                _profile("medium", "Medium", 2, "8G", image),
                _profile("large", "Large", 4, "16G", "quay.io/jupyter/datascience-notebook:2024-05-27"),
                {
                    "display_name": "R",
                    "slug": "r",
                    "description": "R and RStudio",
                    "profile_options": {
                        "version": {
                            "display_name": "R version",
                            "choices": {
                                "4-3": {
                                    "display_name": "R 4.3",
                                    "kubespawner_override": {"image": "rocker/binder:4.3.3"},
                                },
                                "4-4": {
                                    "display_name": "R 4.4",
                                    "default": True,
                                    "kubespawner_override": {"image": "rocker/binder:4.4.1"},
                                },
                            },
                        }
                    },
                },
            ],
        },
        "scheduling": {
            "userScheduler": {"enabled": True},
            "podPriority": {"enabled": True},
            "userPlaceholder": {"enabled": True, "replicas": 2},
            "corePods": {"nodeAffinity": {"matchNodePurpose": "prefer"}},
            "userPods": {"nodeAffinity": {"matchNodePurpose": "require"}},
        },
        "cull": {
            "enabled": True,
            "users": False,
            "timeout": 3600,
            "every": 300,
            "maxAge": 0,
            "concurrency": 10,
        },
        "ingress": {
            "enabled": True,
            "ingressClassName": "nginx",
            "annotations": {
                "cert-manager.io/cluster-issuer": "letsencrypt-prod",
                "nginx.ingress.kubernetes.io/proxy-body-size": "64m",
            },
            "hosts": ["${hub:domain}"],
            "tls": [{"hosts": ["${hub:domain}"], "secretName": "${hub:name}-tls"}],
        },
        "prePuller": {"continuous": {"enabled": True}, "hook": {"enabled": True}},
        "custom": {
            "fleet": {
                "support_email": "support@example.org",
                "docs": "https://docs.example.org/hubs",
                "status_page": "https://status.example.org",
            }
        },
    }


def cluster_layer(cluster: str, provider: str, index: int) -> dict[str, Any]:
    """`clusters/<c>/common.values.yaml` (~40 leaves): storage, node pools, ingress per provider."""
    storage_class = {"kubeconfig": "ceph-rbd", "gke": "standard-rwo", "eks": "gp3", "aks": "managed-csi"}
    pool_key = {
        "kubeconfig": "node-role.example.org/pool",
        "gke": "cloud.google.com/gke-nodepool",
        "eks": "eks.amazonaws.com/nodegroup",
        "aks": "kubernetes.azure.com/agentpool",
    }[provider]
    annotations = {
        "eks": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
        "gke": {"cloud.google.com/neg": '{"ingress": true}'},
        "aks": {"service.beta.kubernetes.io/azure-load-balancer-internal": "false"},
    }.get(provider, {"metallb.universe.tf/address-pool": "public"})
    gpu_image = "quay.io/jupyter/pytorch-notebook:cuda12-2024-05-27"
    return {
        "hub": {
            "nodeSelector": {pool_key: "core"},
            "config": {"KubeSpawner": {"node_selector": {pool_key: "user"}}},
            "extraEnv": {"CLUSTER_PROVIDER": "${cluster:provider}", "CLUSTER_INDEX": str(index)},
        },
        "proxy": {"service": {"annotations": annotations}, "chp": {"nodeSelector": {pool_key: "core"}}},
        "singleuser": {
            "storage": {"dynamic": {"storageClass": storage_class[provider]}, "capacity": "20Gi"},
            "nodeSelector": {pool_key: "user"},
            "extraEnv": {"CLUSTER_NAME": "${cluster:name}", "SCRATCH": "/scratch/${cluster:name}"},
            "profileList": [
                _profile(
                    "small", "Small", 1, "2G", "quay.io/jupyter/scipy-notebook:2024-05-27", default=True
                ),
                _profile("medium", "Medium", 2, "8G", "quay.io/jupyter/scipy-notebook:2024-05-27"),
                {
                    **_profile("gpu", "GPU (1x T4)", 4, "24G", gpu_image),
                    "kubespawner_override": {
                        "image": gpu_image,
                        "extra_resource_limits": {"nvidia.com/gpu": "1"},
                        "node_selector": {pool_key: "gpu"},
                        "tolerations": [
                            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
                        ],
                    },
                },
            ],
        },
        "scheduling": {"userPlaceholder": {"replicas": 1 + index % 4}},
        "ingress": {"annotations": {"nginx.ingress.kubernetes.io/proxy-read-timeout": "3600"}},
        "custom": {
            "cluster": {"name": "${cluster:name}", "provider": provider, "region": _region(provider, index)}
        },
    }


def hub_layer(hub: str, cluster: str, stage: str, rng: random.Random) -> dict[str, Any]:
    """`hubs/<h>/values.yaml` (~30 leaves): authenticator, sizes, hub-specific Python."""
    mem = rng.choice(["2G", "4G", "8G"])
    config: dict[str, Any] = {"Authenticator": {"admin_users": [f"{hub}-admin", "ops-alice"]}}
    if rng.random() < 0.5:
        config["JupyterHub"] = {"authenticator_class": "cilogon"}
        config["CILogonOAuthenticator"] = {
            "oauth_callback_url": "https://${hub:domain}/hub/oauth_callback",
            "idps": {
                "http://github.com/login/oauth/authorize": {
                    "default": True,
                    "username_derivation": {"username_claim": "preferred_username"},
                    "allow_all": False,
                },
                "https://idp.example.edu/idp/shibboleth": {
                    "username_derivation": {
                        "username_claim": "eppn",
                        "action": "strip_idp_domain",
                        "domain": "example.edu",
                    },
                    "allow_all": True,
                },
            },
        }
    else:
        config["GenericOAuthenticator"] = {"allowed_groups": [f"hub-{hub}", "hub-users"]}
    extra = (
        f"# {hub}: per-hub quotas, kept in Python because they depend on the user's groups.\n"
        'QUOTAS = {"students": "2G", "staff": "8G"}\n\n\n'
        "def quota_hook(spawner):\n"
        "    for group in spawner.user.groups:\n"
        "        if group.name in QUOTAS:\n"
        "            spawner.mem_limit = QUOTAS[group.name]\n\n\n"
        "c.KubeSpawner.modify_pod_hook = lambda spawner, pod: (quota_hook(spawner), pod)[1]\n"
    )
    if "GenericOAuthenticator" in config:
        config["GenericOAuthenticator"]["admin_groups"] = [f"hub-{hub}-admins", "hub-admins"]
        config["JupyterHub"] = {"admin_access": rng.random() < 0.2}
    return {
        "hub": {
            "config": config,
            "extraConfig": {"50-quotas": extra},
            "templateVars": {"hub_title": f"{hub} ({stage})", "announcement": "Maintenance on Sundays"},
            "extraEnv": {"HUB_STAGE": "${hub:stage}", "HUB_NAMESPACE": "${hub:namespace}"},
        },
        "singleuser": {
            "memory": {"limit": mem, "guarantee": "512M"},
            "image": {"tag": rng.choice(["2024-05-27", "2024-06-17", "2024-07-08"])},
            "extraEnv": {
                "HUB_MEM_TEXT": "limit ${singleuser.memory.limit} on ${hub:name}",
                "BACKUP_CMD": "restic backup \\${HOME} --tag ${hub:name}",
            },
            "defaultUrl": rng.choice(["/lab", "/tree"]),
            "extraLabels": {"fleet.example.org/stage": "${hub:stage}"},
        },
        "cull": {"timeout": rng.choice([1800, 3600, 7200])},
        "proxy": {"https": {"hosts": ["${hub:domain}"]}},
        "custom": {
            "hub": {
                "name": "${hub:name}",
                "stage": stage,
                "cluster": cluster,
                "contact": f"{hub}-owners@example.org",
                "course": rng.choice(["none", "intro-ds", "ml-101"]),
                "cost_center": f"cc-{rng.randrange(1000, 9999)}",
            }
        },
    }


def _region(provider: str, index: int) -> str:
    regions = {
        "gke": ["europe-west1", "us-central1"],
        "eks": ["eu-west-1", "us-east-2"],
        "aks": ["westeurope", "eastus"],
        "kubeconfig": ["on-prem-a", "on-prem-b"],
    }[provider]
    return regions[index % len(regions)]


def cluster_doc(name: str, provider: str, index: int) -> dict[str, Any]:
    block = {
        "kubeconfig": {"context": name},
        "gke": {"project": f"hubs-{index:03d}", "location": _region("gke", index), "cluster": name},
        "eks": {"region": _region("eks", index), "cluster": name, "account": f"{100000000000 + index}"},
        "aks": {"resource_group": f"rg-{name}", "cluster": name},
    }[provider]
    return {"name": name, "provider": provider, provider: block}


def cluster_names(clusters: int) -> list[str]:
    # `kube-*` namespaces are Kubernetes' own (refused for hubs): kubeconfig clusters are `kcfg-*`.
    short = {"kubeconfig": "kcfg"}
    return [f"{short.get(p := PROVIDERS[i % len(PROVIDERS)], p)}-{i:03d}" for i in range(clusters)]


def hub_names(cluster: str, hubs_per_cluster: int) -> list[str]:
    """One staging hub per cluster (the first), the rest prod."""
    return [f"{cluster}-staging" if j == 0 else f"{cluster}-hub{j:02d}" for j in range(hubs_per_cluster)]


def _write(root: Path, rel: str, data: dict[str, Any] | str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yamlio.dump(data), encoding="utf-8")


def generate(
    root: Path, clusters: int = 100, hubs_per_cluster: int = 20, *, git: bool = False, runner: Runner = run
) -> list[str]:
    """Write the fleet under `root` (must not hold one yet); return the hub names.

    With `git=True`, also render every hub and commit everything in a new repository
    at `root` (what `invoke plan` compares).
    """
    if (root / "fleet.yaml").exists():
        raise HubfleetError(f"{root}: already holds a fleet (fleet.yaml): generate into an empty folder")
    _write(root, "fleet.yaml", FLEET_YAML)
    _write(root, ".gitignore", ".hubfleet/\n")
    _write(root, "clusters/common.values.yaml", fleet_layer())
    for chart, spec in SUPPORT_CHARTS.items():
        _write(root, f"charts/{chart}/Chart.yaml", f"apiVersion: v2\nname: {chart}\nversion: 0.1.0\n")
        _write(root, f"charts/{chart}/values.yaml", spec["defaults"])
        _write(root, f"charts/{chart}/values.schema.json", json.dumps(spec["schema"], indent=1))
    for release, layer in FLEET_SUPPORT_LAYERS.items():
        _write(root, f"support/{release}.values.yaml", layer)
    hubs: list[str] = []
    for i, cluster in enumerate(cluster_names(clusters)):
        provider = PROVIDERS[i % len(PROVIDERS)]
        _write(root, paths.cluster(cluster).cluster_yaml, cluster_doc(cluster, provider, i))
        _write(root, paths.cluster(cluster).layer, cluster_layer(cluster, provider, i))
        for release, layer in support_layers(cluster, provider, i).items():
            _write(root, paths.support(cluster, release).layer, layer)
        for hub in hub_names(cluster, hubs_per_cluster):
            stage = "staging" if hub.endswith("-staging") else "prod"
            head = {"name": hub, "cluster": cluster, "domain": f"{hub}.hubs.example.org"}
            _write(
                root, paths.hub(hub).hub_yaml, {**head, **({"stage": stage} if stage == "staging" else {})}
            )
            _write(root, paths.hub(hub).values, hub_layer(hub, cluster, stage, random.Random(hub)))
            hubs.append(hub)
    if git:
        _render_all(root)
        commit(root, runner)
    return hubs


def _render_all(root: Path) -> None:
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import load_fleet
    from hubfleet.app.renderall import render_fleet, write_rendered

    write_rendered(root, render_fleet(load_fleet(DirSource(root))))


def commit(root: Path, runner: Runner = run) -> None:
    """A new git repository at `root` holding everything in it, in one commit."""
    ident = [
        "-c",
        "user.name=hubfleet synth",
        "-c",
        "user.email=synth@example.org",
        "-c",
        "commit.gpgsign=false",
    ]
    runner(["git", "init", "-q", "-b", "main"], cwd=root)
    runner(["git", "add", "-A"], cwd=root)
    runner(["git", *ident, "commit", "-q", "-m", "synthetic fleet"], cwd=root)
