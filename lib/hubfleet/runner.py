"""The one way this project runs external commands (helm, sops, git, cloud CLIs).

Argv lists only, never a shell string. Failures raise `CommandError` showing the
command, exit code and output, with secrets masked. Each command runs in its own
process group so a timeout or Ctrl-C kills helm and everything it started.
Tests swap `run` for a recording fake by passing `runner=`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import HubfleetError


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class CommandError(HubfleetError):
    def __init__(self, completed: Completed, *, why: str = "", mask: Sequence[str] = ()) -> None:
        self.completed = completed
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        detail = " | ".join(_mask(line, mask) for line in tail)
        cmd = " ".join(completed.argv[:3])
        reason = why or f"exit {completed.returncode}"
        super().__init__(f"`{cmd} ...` failed ({reason}): {detail}".rstrip(": "))


class Runner(Protocol):
    def __call__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        timeout: float | None = None,
        input: str | bytes | None = None,
        check: bool = True,
        mask: Sequence[str] = (),
        interactive: bool = False,
    ) -> Completed: ...


def _mask(text: str, secrets: Sequence[str]) -> str:
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "*****")
    return text


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float | None = None,
    input: str | bytes | None = None,
    check: bool = True,
    mask: Sequence[str] = (),
    interactive: bool = False,
) -> Completed:
    """Run `argv`; kill its whole process group on timeout or interrupt.

    `interactive` hands the terminal to the command (an editor through `sops`): no
    capture, same session, so the user's keys and Ctrl-C reach it.
    """
    argv = [os.fspath(a) for a in argv]
    if interactive:
        return _run_interactive(argv, env=env, cwd=cwd, check=check)
    text = not isinstance(input, bytes)
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            text=text,
            start_new_session=True,
        )
    except FileNotFoundError as e:
        raise HubfleetError(f"`{argv[0]}` not found: install it or set its HUBFLEET_* variable") from e
    except PermissionError as e:
        raise HubfleetError(f"`{argv[0]}` is not executable") from e
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        done = Completed(tuple(argv), -9, _s(out), _s(err))
        raise CommandError(done, why=f"timed out after {timeout:g}s, killed", mask=mask) from None
    except BaseException:  # Ctrl-C or a cancelled thread: never leave helm running
        _kill_group(proc)
        proc.wait()
        raise
    done = Completed(tuple(argv), proc.returncode, _s(out), _s(err))
    if check and proc.returncode != 0:
        raise CommandError(done, mask=mask)
    return done


def _run_interactive(
    argv: list[str], *, env: Mapping[str, str] | None, cwd: str | Path | None, check: bool
) -> Completed:
    try:
        proc = subprocess.Popen(argv, env=dict(env) if env is not None else None, cwd=cwd)
    except FileNotFoundError as e:
        raise HubfleetError(f"`{argv[0]}` not found: install it or set its HUBFLEET_* variable") from e
    try:
        proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    done = Completed(tuple(argv), proc.returncode, "", "")
    if check and proc.returncode != 0:
        raise CommandError(done)
    return done


def _s(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
