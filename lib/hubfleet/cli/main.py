"""The `hubfleet` console script: the Invoke tasks of `hubfleet.cli.tasks` as their own program.

`hubfleet render --check` is `invoke render --check` without a `tasks.py`: fleet repositories
that are not forks of this one, CI steps and pre-commit hooks call it. Same commands, options,
help and error boundary (Invoke's documented way to ship a task collection as a binary), with
Invoke's own options for running shell commands (sudo, pty, .pyc, echo) left out, a mistyped
command line answered with one line and a suggestion (exit 1), and the words after `--` kept as
typed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence

from invoke import Exit, Program
from invoke.exceptions import ParseError
from invoke.parser import Argument, ParserContext

from hubfleet import __version__
from hubfleet.cli.boundary import quiet_stdout
from hubfleet.core.errors import did_you_mean

__all__ = ["Remainder", "main", "program"]

# Invoke's core options that mean something for hubfleet; the rest configure Invoke's own
# `c.run` (shell commands, sudo, pty) or its config files, which hubfleet's commands do not use.
CORE_OPTIONS = ("complete", "help", "list", "print-completion-script", "version")


class Remainder(str):
    """`c.remainder` as Invoke makes it (the words after `--` joined by spaces), with the words as
    typed in `.words`: joined, `-- sh -c "echo a b"` could not be told from `-- sh -c echo a b`."""

    words: tuple[str, ...]

    def __new__(cls, words: Sequence[str]) -> Remainder:
        made = super().__new__(cls, " ".join(words))
        made.words = tuple(words)
        return made


class HubfleetProgram(Program):
    def core_args(self) -> list[Argument]:
        return [a for a in super().core_args() if a.name in CORE_OPTIONS]

    @property
    def args(self):
        """The parsed core options, plus the left-out ones at their defaults (Invoke reads them)."""
        parsed = super().args
        for arg in super().core_args():
            parsed.setdefault(arg.name, arg)
        return parsed

    def parse_core(self, argv: list[str] | None) -> None:
        super().parse_core(argv)
        if "--" in self.argv:  # the parser splits at the first `--` too
            self.core.remainder = Remainder(self.argv[self.argv.index("--") + 1 :])

    def parse_tasks(self) -> None:
        self._help_after_a_command()
        try:
            super().parse_tasks()
            self._refuse_empty_lists()
        except ParseError as e:
            raise ParseError(self._explain(str(e), e.context), e.context) from None

    def _help_after_a_command(self) -> None:
        """`hubfleet new-hub -h`: help, not a hub named `-h` (Invoke fills a positional first)."""
        words = self.core.unparsed  # the words before any `--`
        if words and any(w in ("-h", "--help") for w in words[1:]):
            self.parser = self._make_parser()
            if words[0] in self.parser.contexts:
                self.print_task_help(words[0])
                raise Exit

    def _refuse_empty_lists(self) -> None:
        """A bare `--hub` (a repeatable option) parses as no hub at all (alone, that reads as "every
        hub"): the same error as any other option given without its value."""
        if len(self.tasks) != 1:  # several commands on one line: whose `--hub` is whose is theirs
            return
        typed = self.argv[: self.argv.index("--")] if "--" in self.argv else self.argv
        for context in self.tasks:
            for flag, arg in context.flags.items():
                given = sum(w == flag or w.startswith(flag + "=") for w in typed)
                if arg.kind is list and len(arg.value) < given:
                    raise ParseError(f"Flag {arg!r} needed value and was not given one!", context)

    def parse_cleanup(self) -> None:  # `--help NAME` with an unknown NAME
        try:
            super().parse_cleanup()
        except ParseError as e:
            raise ParseError(self._explain(str(e), e.context), e.context) from None

    def _explain(self, message: str, context: ParserContext | None) -> str:
        """Invoke's parse error as one line that says what to do."""
        task = context.name if context is not None and context.name else None
        where = f"{task}: " if task else ""
        unknown = re.fullmatch(r"No idea what '(.*)' is!", message)
        if unknown:
            word = unknown[1].split("=", 1)[0]
            if not word.startswith("-"):
                return f"error: unknown command {word}{did_you_mean(word, self.collection.task_names)}"
            flags = _flags(context) if task else _flags(self.initial_context)
            hint = did_you_mean(word, flags) or (
                f" (`{self.binary} {task} --help` lists them)" if task else f" (`{self.binary} --help`)"
            )
            return f"error: {where}unknown option {word}{hint}"
        needs = re.fullmatch(r"Flag <Argument: ([\w-]+).*> needed value and was not given one!", message)
        if needs:
            return f"error: {where}--{needs[1].replace('_', '-')} needs a value"
        missing = re.fullmatch(r"'.*' did not receive required positional arguments: (.*)", message)
        if missing:
            names = " ".join(n.strip("' ").upper() for n in missing[1].split(","))
            return f"error: {where}give its {names} (`{self.binary} {task} --help`)"
        return f"error: {message}"


def _flags(context: ParserContext | None) -> Iterable[str]:
    if context is None:
        return ()
    return [*context.flags, *context.inverse_flags]


def program() -> Program:
    from hubfleet.cli.tasks import ns

    return HubfleetProgram(namespace=ns, name="hubfleet", binary="hubfleet", version=__version__)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point; `argv` without the program name (default: `sys.argv[1:]`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        program().run(["hubfleet", *args])
    except BrokenPipeError:  # `hubfleet --list | head`: the reader left; no traceback for that
        quiet_stdout()
        sys.exit(141)
