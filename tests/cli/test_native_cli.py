"""The `hubfleet` program reads like a native command line: its own options only, `-h` after a
command is that command's help, a mistyped option gets a suggestion, destructive options have no
one-letter form, and the words after `--` arrive as typed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from helpers.cli import hubfleet

REPO = Path(__file__).resolve().parents[2]


def _hubfleet(argv: list[str], capsys) -> tuple[int, str, str]:
    return hubfleet(argv, capsys)


def _all_tasks():
    sys.path.insert(0, str(REPO))
    try:
        import tasks
    finally:
        sys.path.remove(str(REPO))
    return tasks.ns  # the shipped commands and this repository's own


def test_help_lists_only_hubfleets_options(capsys):
    code, out, _ = _hubfleet(["--help"], capsys)
    assert code == 0
    for invokes_own in ("sudo", "--pty", ".pyc", "--echo", "--warn-only", "--dry", "--command-timeout"):
        assert invokes_own not in out
    assert "--version" in out and "--list" in out and "deploy" in out


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_after_a_command_is_that_commands_help(capsys, flag):
    code, out, err = _hubfleet(["deploy", flag], capsys)
    assert code == 0, err
    assert out.startswith("Usage: hubfleet [--core-opts] deploy ")
    assert "--delete-namespaces" in out and "Flag" not in err
    # a command whose NAME comes first: `-h` is help, not the name
    code, out, err = _hubfleet(["new-hub", flag], capsys)
    assert (code, err) == (0, "") and out.startswith("Usage: hubfleet [--core-opts] new-hub ")
    code, out, err = _hubfleet(["new-hub", "x", "--cluster", "c", flag], capsys)
    assert (code, err) == (0, "") and out.startswith("Usage: hubfleet [--core-opts] new-hub ")


@pytest.mark.parametrize(
    "argv, line",
    [
        (
            ["deploy", "--clustr", "uni-west"],
            "error: deploy: unknown option --clustr (did you mean `--cluster`?)",
        ),
        (
            ["deploy", "--clustr=uni-west"],
            "error: deploy: unknown option --clustr (did you mean `--cluster`?)",
        ),
        (["deploy", "--zzz"], "error: deploy: unknown option --zzz (`hubfleet deploy --help` lists them)"),
        (["deplyo", "--hub", "x"], "error: unknown command deplyo (did you mean `deploy`?)"),
        (["--lst"], "error: unknown option --lst (did you mean `--list`?)"),
        (["deploy", "--hub"], "error: deploy: --hub needs a value"),
        (["deploy", "--hub", "a", "--hub"], "error: deploy: --hub needs a value"),
        (["new-cluster"], "error: new-cluster: give its NAME (`hubfleet new-cluster --help`)"),
    ],
)
def test_a_mistyped_command_line_is_one_line_with_a_suggestion(capsys, argv, line):
    code, out, err = _hubfleet(argv, capsys)
    assert (code, out, err.splitlines()) == (1, "", [line])


def test_destructive_options_have_no_one_letter_form():
    """No command has one-letter options: Invoke would make one for `--prune` (`-r`) and
    `--delete-namespaces` (`-e`), take `-h` from `--help` for `--hub`, and move the letters as
    options are added."""
    ns = _all_tasks()
    short = {(ctx.name, flag) for ctx in ns.to_contexts() for flag in ctx.flags if not flag.startswith("--")}
    assert short == set()
    deploy = next(c for c in ns.to_contexts() if c.name == "deploy")
    assert {"--prune", "--delete-namespaces"} <= set(deploy.flags)


def test_the_words_after_dashes_arrive_as_typed(monkeypatch, capsys):
    """`hubfleet shell --cluster C -- sh -c "echo a b"`: the command gets the words the shell
    gave (as `kubectl exec --` does), not the words re-split on spaces."""
    from hubfleet.cli.commands import shell

    seen = {}
    monkeypatch.setattr(shell, "run", lambda **kw: seen.update(kw) or 0)
    words = ["shell", "--cluster", "uni-west", "--", "sh", "-c", "echo a b"]
    code, _, err = _hubfleet(words, capsys)
    assert code == 0, err
    assert seen == {"cluster": "uni-west", "command": ["sh", "-c", "echo a b"]}
    # invoke itself: its program hands the task the words joined; they are still in sys.argv
    from invoke.main import program as invoke_program

    monkeypatch.chdir(REPO)
    seen.clear()
    monkeypatch.setattr(sys, "argv", ["invoke", *words])
    invoke_program.run(["invoke", *words], exit=False)
    assert seen == {"cluster": "uni-west", "command": ["sh", "-c", "echo a b"]}
