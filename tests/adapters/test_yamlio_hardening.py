"""yamlio reads values as Helm does and refuses, in one located line, what would hurt (issue 14)."""

from __future__ import annotations

import time

import pytest

from hubfleet.adapters import yamlio
from hubfleet.core.errors import HubfleetError


def one_line(data: str | bytes) -> str:
    with pytest.raises(HubfleetError) as info:
        yamlio.parse(data, "hubs/x/values.yaml")
    text = str(info.value)
    assert "\n" not in text and text.startswith("hubs/x/values.yaml"), text
    return text


def test_scalars_as_helm_reads_them():
    doc = yamlio.parse("PORTS: 2222:22\ntag: 1e3\nmode: 0o17\nflag: y\nwhen: 2024-01-01\n", "f")
    assert doc == {"PORTS": "2222:22", "tag": 1000.0, "mode": 15, "flag": True, "when": "2024-01-01"}


def test_what_dump_writes_reads_back_the_same():
    values = {"PORTS": "2222:22", "tag": "1e3", "flag": "y", "n": "08", "k": "0o17", "null": "~", "x": 1e20}
    assert yamlio.parse(yamlio.dump(values), "f") == values


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb: .nan\n", 2, "Helm accepts"),
        ("a: [1, -.inf]\n", 1, "Helm accepts"),
        ("1: a\n'1': b\n", 2, "same key `1` to Helm"),
        ("on: a\ntrue: b\n", 2, "same key `true` to Helm"),
        ("~: a\n", 1, "null key"),
        ("a: !!int 1.5\n", 1, "not a int"),
    ],
)
def test_what_helm_refuses_or_reads_at_random_is_one_line(text, line, words):
    message = one_line(text)
    assert message.startswith(f"hubs/x/values.yaml:{line}:") and words in message


def test_deep_nesting_is_refused_before_any_work():
    for text in ("a: " + "[" * 1000 + "]" * 1000 + "\n", "a: " + "[" * 70 + "]" * 70 + "\n"):
        start = time.monotonic()
        assert "nested deeper than 64 levels" in one_line(text)
        assert time.monotonic() - start < 2
    block = "".join(" " * i + f"k{i}:\n" for i in range(80))
    assert "nested deeper than 64" in one_line(block)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_control_characters_name_their_line(char):
    message = one_line(f"a: 1\nb: x{char}y\n")
    assert message.startswith("hubs/x/values.yaml:2:") and "control character" in message
