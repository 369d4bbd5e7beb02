"""Located problems: every error names the file, the key path and, where known, the line.

Library code raises `HubfleetError` (one problem) or `ProblemsError` (several);
only the error boundary in `hubfleet.cli` prints and exits.
"""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]  # info: worth knowing, never a failure
KeyPath = tuple[str | int, ...]


def format_keypath(path: Sequence[str | int]) -> str:
    """`hub.config.GenericOAuthenticator` / `singleuser.profileList[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            if "." in text or not text:
                text = f'"{text}"'
            out += ("." if out else "") + text
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' (did you mean `x`?)' suffix for typos, as pypa/build does, and for a name cut short
    (`aws` for `aws-us`: too short for a close match) when one choice alone begins with it."""
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    if not close and word:
        close = [c for c in choices if c.startswith(word)]
    return f" (did you mean `{close[0]}`?)" if len(close) == 1 else ""


@dataclass(frozen=True)
class Problem:
    """One finding about one place: `file:line: key.path: message`."""

    file: str
    message: str
    keypath: KeyPath = ()
    line: int | None = None
    severity: Severity = "error"
    hub: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        key = f" {format_keypath(self.keypath)}:" if self.keypath else ""
        tag = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}:{key} {tag}{self.message}"

    def with_line(self, line: int | None) -> Problem:
        return Problem(self.file, self.message, self.keypath, line, self.severity, self.hub)


class HubfleetError(Exception):
    """An expected failure: bad input, a failed tool. Printed as one line, exit 1."""

    def __init__(self, message: str, *, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)

    @classmethod
    def at(cls, file: str, message: str, keypath: KeyPath = (), line: int | None = None):
        problem = Problem(file, message, keypath, line)
        return cls(str(problem), problems=[problem])


class ProblemsError(HubfleetError):
    """Several located problems (validation)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"{len(errors_only(problems))} error(s)", problems=problems)


# What to do about the OSErrors a user's disk gives (full, read-only, not allowed...).
_OS_HINTS = {
    errno.ENOSPC: "free space on its filesystem",
    errno.EDQUOT: "free space within your disk quota",
    errno.EROFS: "its filesystem is mounted read-only: work in a writable copy",
    errno.EACCES: "check its permissions and those of its folder",
    errno.EPERM: "check its permissions, and `lsattr` for an immutable flag",
    errno.ENOTDIR: "a file stands where a folder is needed: move it away",
    errno.EISDIR: "a folder stands where a file is needed: move it away",
    errno.ENAMETOOLONG: "choose a shorter path",
    errno.EIO: "the disk reported an error: check it",
}


def os_problem(path: object, action: str, e: OSError, outcome: str = "") -> HubfleetError:
    """A user's path cannot be used: `out/x: cannot write: No space left on device (free space on
    its filesystem)`, then what became of the rest (`nothing was changed`)."""
    hint = _OS_HINTS.get(e.errno or 0)
    text = f"{path}: cannot {action}: {e.strerror or e}" + (f" ({hint})" if hint else "")
    return HubfleetError(text + (f"; {outcome}" if outcome else ""))


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
