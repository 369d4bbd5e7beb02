"""The `hubfleet` console script: the Invoke tasks of `hubfleet.cli.tasks` as their own program.

`hubfleet render --check` is `invoke render --check` without a `tasks.py`: fleet repositories
that are not forks of this one, CI steps and pre-commit hooks call it. Same commands, options,
help and error boundary (Invoke's documented way to ship a task collection as a binary).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from invoke import Program

from hubfleet import __version__
from hubfleet.cli.boundary import quiet_stdout

__all__ = ["main", "program"]


def program() -> Program:
    from hubfleet.cli.tasks import ns

    return Program(namespace=ns, name="hubfleet", binary="hubfleet", version=__version__)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point; `argv` without the program name (default: `sys.argv[1:]`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        program().run(["hubfleet", *args])
    except BrokenPipeError:  # `hubfleet --list | head`: the reader left; no traceback for that
        quiet_stdout()
        sys.exit(141)
