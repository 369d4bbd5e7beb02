"""This repository's Invoke tasks (`invoke --list`): the commands of `hubfleet.cli.tasks`, which the
`hubfleet` console script runs too, plus tasks for developing hubfleet itself (not shipped).
"""

from __future__ import annotations

from invoke import Collection, Exit

from hubfleet.cli.boundary import boundary
from hubfleet.cli.tasks import ns as shipped
from hubfleet.cli.tasks import task  # long options only, as the shipped commands


@task(help={"files": "only these workflow files, comma-separated (default: .github/workflows/*)"})
def lint_workflows(c, files=None):
    """Run actionlint on the GitHub workflows (developing hubfleet; exit 1 on any finding)."""
    from devtools.lint_workflows import run  # this repository's own tooling, not shipped

    code = boundary(run, files=files.split(",") if files else None)
    if code:
        raise Exit(code=code)


DEV_ONLY = ("lint-workflows",)
ns = Collection(*shipped.tasks.values(), lint_workflows)
