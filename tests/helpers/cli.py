"""Run the `hubfleet` program in this process, as a person types it: (exit code, stdout, stderr)."""

from __future__ import annotations


def hubfleet(argv: list[str], capsys) -> tuple[int, str, str]:
    from hubfleet.cli.main import main

    try:
        main(argv)
        code = 0
    except SystemExit as e:  # Invoke exits only for help, errors and a failed task
        code = e.code or 0
    out, err = capsys.readouterr()
    return int(code), out, err
