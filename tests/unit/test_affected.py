"""Which hubs changed files touch: what the pre-commit hooks check."""

from __future__ import annotations

import pytest

from hubfleet.adapters.source import MappingSource
from hubfleet.app.load import load_fleet
from hubfleet.core.affected import hubs_touched

FILES = {
    "fleet.yaml": b"charts:\n  jh: {repo: https://r.example, version: 1.0.0}\n  tiny: {path: charts/tiny}\n"
    b"default_chart: jh\n",
    "clusters/a/cluster.yaml": b"name: a\nprovider: kubeconfig\nkubeconfig: {context: a}\n",
    "clusters/b/cluster.yaml": b"name: b\nprovider: kubeconfig\nkubeconfig: {context: b}\n",
    "hubs/a1/hub.yaml": b"name: a1\ncluster: a\ndomain: a1.example\n",
    "hubs/a2/hub.yaml": b"name: a2\ncluster: a\ndomain: a2.example\nchart: tiny\n",
    "hubs/b1/hub.yaml": b"name: b1\ncluster: b\ndomain: b1.example\n",
    "hubs/broken/hub.yaml": b"name: broken\n",
}


@pytest.mark.parametrize(
    ("files", "hubs"),
    [
        (["hubs/a1/values.yaml"], ["a1"]),
        (["hubs/a1/values.yaml", "./hubs/b1/hub.yaml"], ["a1", "b1"]),
        (["clusters/a/common.values.yaml"], ["a1", "a2"]),
        (["clusters/b/secrets.yaml"], ["b1"]),
        (["charts/tiny/values.yaml"], ["a2"]),
        (["charts/tiny"], ["a2"]),
        (["charts/tinyx/values.yaml", "README.md", "hubs/gone/values.yaml", "hubs"], []),
        (["hubs/broken/hub.yaml"], ["broken"]),  # validate says why it does not load
        (["fleet.yaml"], None),
        (["clusters/common.values.yaml"], None),
        (["clusters/secrets.yaml"], None),
        (["support/ingress-nginx.values.yaml"], None),
        (["hubs/a1/values.yaml", "clusters/a/support/cert-manager.values.yaml"], None),
    ],
)
def test_hubs_touched(files, hubs):
    fleet = load_fleet(MappingSource(FILES))
    assert hubs_touched(files, fleet.hubs, fleet.config.charts, fleet.source.subdirs("hubs")) == hubs
