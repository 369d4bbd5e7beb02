"""The one way this project runs external commands (helm, sops, git, cloud CLIs).

Argv lists only, never a shell string. Failures raise `CommandError` showing the
command, exit code and output, with secrets masked. Each command runs in its own
process group so a timeout or Ctrl-C kills helm and everything it started.
Tests swap `run` for a recording fake by passing `runner=`.

SIGTERM and SIGHUP (`install_signal_handlers`, by the error boundary) act like Ctrl-C: every
running command's process group is killed and every cleanup runs. On Linux a command also
dies with us (`PR_SET_PDEATHSIG`), so even SIGKILL of hubfleet leaves no helm running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hubfleet.core.errors import HubfleetError
from hubfleet.core.masking import MIN_LENGTH, mask


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def output_tail(done: Completed, secrets: Sequence[str], lines: int) -> str:
    """A command's last `lines` lines (stderr, else stdout), masked as a whole before they are cut."""
    return " | ".join(mask_secrets(done.stderr or done.stdout, secrets).strip().splitlines()[-lines:])


class CommandError(HubfleetError):
    def __init__(self, completed: Completed, *, why: str = "", mask: Sequence[str] = ()) -> None:
        self.completed = completed
        detail = output_tail(completed, mask, 5)
        cmd = " ".join(completed.argv[:3])
        reason = why or f"exit {completed.returncode}"
        self.why = reason
        super().__init__(f"`{cmd} ...` failed ({reason}): {detail}".rstrip(": "))


# Ctrl-C reaches only the main thread; the rollout engine sets this so work in its
# worker threads stops too: `run` kills its command, a starting local hub is stopped.
interrupted = threading.Event()
_POLL = 0.2  # seconds between looks at `interrupted` while a command runs


class Interrupted(HubfleetError):
    def __init__(self) -> None:
        super().__init__("interrupted (Ctrl-C)")


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled as Ctrl-C is (children killed, cleanups run), named for the exit."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_signal(signum: int, _frame: object) -> None:
    interrupted.set()  # worker threads: `run` kills its command's group within _POLL s
    raise Terminated(signum)


def install_signal_handlers() -> None:
    """SIGTERM/SIGHUP end hubfleet as Ctrl-C does (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


_PR_SET_PDEATHSIG = 1
try:  # Linux: a command gets SIGKILL when the thread that started it dies (SIGKILL of hubfleet too)
    import ctypes

    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
except (ImportError, OSError, AttributeError):  # pragma: no cover
    _PRCTL = None


def check_interrupted() -> None:
    """Raise `Interrupted` once Ctrl-C was pressed (call between steps of long work)."""
    if interrupted.is_set():
        raise Interrupted()


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
        pass_fds: Sequence[int] = (),
        term_grace: float = 0,
        cleanup: bool = False,
    ) -> Completed: ...


_known: set[str] | None = None  # secret values decrypted during the running command (`remembering`)
_known_lock = threading.Lock()


@contextlib.contextmanager
def remembering() -> Iterator[None]:
    """For one command (the error boundary's): every value `remember_secrets` is given is masked
    in every later message of that command too, whoever prints it, its worker threads included.
    Outside such a scope nothing is remembered (a library caller passes `mask=` itself)."""
    global _known
    with _known_lock:
        before, _known = _known, set()
    try:
        yield
    finally:
        with _known_lock:
            _known = before


def remember_secrets(values: Iterable[str]) -> None:
    """Mask these values in every later message of the running command (sops does this for every
    values file it decrypts): a path that forgets its `mask=` still prints none of them."""
    with _known_lock:
        if _known is not None:
            _known.update(v for v in values if len(v) >= MIN_LENGTH)


def mask_secrets(text: str, secrets: Sequence[str] = ()) -> str:
    """The one masking function for every output: `secrets` and every remembered value, in every
    form a tool or hubfleet may print it (`core.masking`), replaced by *****."""
    with _known_lock:
        known = [*_known] if _known else []
    return mask(text, [*secrets, *known])


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
    pass_fds: Sequence[int] = (),
    term_grace: float = 0,
    cleanup: bool = False,
) -> Completed:
    """Run `argv`; stop its whole process group on timeout or interrupt.

    `term_grace`: stop with SIGTERM first and allow that many seconds before SIGKILL (Helm,
    told SIGTERM, records its release `failed` instead of leaving it `pending-*`); 0 kills at
    once. `cleanup`: a command that must run even after Ctrl-C (a rollback of what an
    interrupted command left), within its own `timeout`.

    `interactive` hands the terminal to the command (an editor through `sops`): no
    capture, same session, so the user's keys and Ctrl-C reach it. `pass_fds`: descriptors
    the command inherits (in-memory files it reads as /dev/fd/N).
    """
    argv = [os.fspath(a) for a in argv]
    if interactive:
        return _run_interactive(argv, env=env, cwd=cwd, check=check, pass_fds=pass_fds)
    data = input.encode() if isinstance(input, str) else input  # bytes both ways: decoded by `_s`
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            pass_fds=tuple(pass_fds),
            preexec_fn=_die_with_parent if _PRCTL is not None else None,
        )
    except FileNotFoundError as e:
        raise HubfleetError(f"`{argv[0]}` not found: install it or set its HUBFLEET_* variable") from e
    except PermissionError as e:
        raise HubfleetError(f"`{argv[0]}` is not executable") from e
    try:
        out, err = _communicate(proc, data, timeout, watch=not cleanup)
    except subprocess.TimeoutExpired:
        how, out, err = _stop(proc, term_grace)
        done = Completed(tuple(argv), proc.returncode, _s(out), _s(err))
        raise CommandError(done, why=f"timed out after {timeout:g}s, {how}", mask=mask) from None
    except BaseException:  # Ctrl-C, here or in the main thread: never leave helm running
        _stop(proc, term_grace)
        raise
    done = Completed(tuple(argv), proc.returncode, _s(out), _s(err))
    if check and proc.returncode != 0:
        raise CommandError(done, mask=mask)
    return done


def _communicate(
    proc: subprocess.Popen, input: bytes | None, timeout: float | None, *, watch: bool = True
) -> tuple[bytes | None, bytes | None]:
    """`proc.communicate`, looking at `interrupted` every `_POLL` s (retrying loses no output)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if watch:
            check_interrupted()
        left = None if deadline is None else deadline - time.monotonic()
        try:
            return proc.communicate(
                input=input, timeout=_POLL if left is None else max(0.0, min(_POLL, left))
            )
        except subprocess.TimeoutExpired:
            if left is not None and left <= _POLL:
                raise


def spawn(
    argv: Sequence[str],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: Any = subprocess.DEVNULL,
    stdout: Any = subprocess.DEVNULL,
    stderr: Any = subprocess.DEVNULL,
    umask: int = -1,
    die_with_parent: bool = False,
) -> subprocess.Popen:
    """Start a long-lived process in its own session (a local hub, `git cat-file --batch`).

    `run` waits for its command; these answer many requests or outlive the call, so the
    caller owns the returned process and stops it (its process group) itself. `umask`: the
    process's own (-1: ours). With `die_with_parent` it is also killed when the calling
    thread's process dies (a test cluster started for a test session).
    """
    argv = [os.fspath(a) for a in argv]
    try:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
            close_fds=True,
            umask=umask,
            preexec_fn=_die_with_parent if die_with_parent and _PRCTL else None,
        )
    except FileNotFoundError as e:
        raise HubfleetError(f"`{argv[0]}` not found: install it or set its HUBFLEET_* variable") from e


def _run_interactive(
    argv: list[str],
    *,
    env: Mapping[str, str] | None,
    cwd: str | Path | None,
    check: bool,
    pass_fds: Sequence[int] = (),
) -> Completed:
    try:
        proc = subprocess.Popen(
            argv, env=dict(env) if env is not None else None, cwd=cwd, pass_fds=tuple(pass_fds)
        )
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


def _s(data: bytes | None) -> str:
    """A tool's output as text, whatever its bytes: one that is not UTF-8 (a chart's Latin-1 note)
    shows as U+FFFD, so a success stays a success and a failure keeps its own message."""
    return "" if data is None else data.decode("utf-8", "replace")


def _kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _stop(proc: subprocess.Popen, grace: float) -> tuple[str, bytes | None, bytes | None]:
    """Stop the process group: SIGTERM and up to `grace` s to exit, then SIGKILL. Says which it took."""
    if grace > 0:
        _kill_group(proc, signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=grace)
            _kill_group(proc)  # whatever it left behind in its group
            return "stopped by SIGTERM", out, err
        except subprocess.TimeoutExpired:
            pass
    _kill_group(proc)
    out, err = proc.communicate()
    return (f"not stopped by SIGTERM within {grace:g}s, killed" if grace > 0 else "killed"), out, err
