"""The one error boundary (pre-commit's error_handler, pypa/build's _handle_build_error).

Expected errors print one line each and exit 1; Ctrl-C exits 130, SIGTERM 143 and SIGHUP 129
(each after every command hubfleet started was killed and every cleanup ran); anything
unexpected exits 3 with the traceback written to a log file, never the screen.
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rich.console import Console

from hubfleet.core.errors import HubfleetError, Problem, os_problem

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def print_problems(problems: Iterable[Problem]) -> None:
    from hubfleet.adapters.runner import mask_secrets  # every value decrypted in this process

    for p in problems:
        style = {"warning": "yellow", "info": "cyan"}.get(p.severity, "red")
        err_console.print(mask_secrets(str(p)), style=style, markup=False)


def boundary(fn: Callable[..., int | None], /, **kwargs: Any) -> int:
    """Run one command; turn every outcome into an exit code."""
    from hubfleet.adapters.runner import install_signal_handlers, remembering

    install_signal_handlers()
    with remembering():  # every value decrypted by this command is masked in all it prints
        return _outcome(fn, kwargs)


def _outcome(fn: Callable[..., int | None], kwargs: dict[str, Any]) -> int:
    from hubfleet.adapters.runner import Terminated, mask_secrets

    try:
        return fn(**kwargs) or 0
    except HubfleetError as e:
        if e.problems:
            print_problems(e.problems)
        else:
            err_console.print(mask_secrets(f"error: {e}"), style="red", markup=False)
        return 1
    except Terminated as e:
        err_console.print(f"terminated ({e}): the commands it started were stopped", style="red")
        return 128 + e.signum
    except KeyboardInterrupt:
        err_console.print("interrupted", style="red")
        return 130
    except OSError as e:
        if e.errno not in _DISK_ERRNOS and not (e.filename and e.errno in _PATH_ERRNOS):
            return _internal_error()  # the writes hubfleet expects to fail say so themselves
        problem = os_problem(e.filename or "a file", "use", e)
        err_console.print(mask_secrets(f"error: {problem}"), style="red", markup=False)
        return 1
    except Exception:
        return _internal_error()


# A full, read-only or failing disk is the machine's state, never a bug: one line wherever it hits.
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO}
_PATH_ERRNOS = {errno.EACCES, errno.EPERM}  # a named path this user may not use: its permissions


def _internal_error() -> int:
    try:
        where = f"details in {_crash_log()}"
    except OSError as e:  # the log's own disk is full or read-only
        where = f"no log written ({e.strerror})"
    err_console.print(f"internal error (a bug in hubfleet, not your input): {where}", style="red")
    return 3


def _crash_log() -> Path:
    from hubfleet.adapters.source import find_root, state_dir

    try:
        folder = state_dir(find_root()) / "logs"
    except HubfleetError:
        folder = Path.cwd() / ".hubfleet" / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crash-{_dt.datetime.now():%Y%m%d-%H%M%S}.log"
    from hubfleet.adapters.runner import mask_secrets

    path.write_text(mask_secrets(traceback.format_exc()))
    return path


def quiet_stdout() -> None:
    """After a broken pipe (`hubfleet status | head`): point stdout at /dev/null, so the
    interpreter's last flush cannot fail again and print a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
