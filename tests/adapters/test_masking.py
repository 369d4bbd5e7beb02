"""Masking (issue 14 item 3): a secret printed as is, JSON-escaped or base64-encoded is *****."""

from __future__ import annotations

import base64
import json

import pytest

from hubfleet.adapters.runner import CommandError, Completed, mask_secrets, secret_forms

SECRET = 'p@ss"word\\with-quote-and-slash'


@pytest.mark.parametrize("before", [b"", b"a", b"ab", b"apiToken: "])
@pytest.mark.parametrize("after", [b"", b"\n", b"xy"])
@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_base64_at_every_alignment_is_masked(before, after, encode):
    text = encode(before + SECRET.encode() + after).decode()
    masked = mask_secrets(f"Error: secret data {text} rejected", [SECRET])
    assert "*****" in masked
    core = encode(SECRET.encode()).decode()[2:-4]
    assert core not in masked


def test_json_escaped_and_plain_forms_are_masked():
    line = f"values: {json.dumps({'token': SECRET})} and {SECRET}"
    masked = mask_secrets(line, [SECRET])
    assert SECRET not in masked and json.dumps(SECRET)[1:-1] not in masked and masked.count("*****") == 2


def test_short_secrets_and_other_text_are_left_alone():
    assert mask_secrets("port 8080 open", ["80"]) == "port 8080 open"
    assert all(len(f) >= 4 for f in secret_forms("abcd"))


def test_command_errors_are_masked():
    done = Completed(("helm", "upgrade", "x"), 1, "", f"Error: {base64.b64encode(SECRET.encode()).decode()}")
    assert base64.b64encode(SECRET.encode()).decode()[:20] not in str(CommandError(done, mask=[SECRET]))
