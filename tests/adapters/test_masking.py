"""Masking (issue 14 item 3, issue 22 item 5): a secret in any form it may be printed in is *****."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from hubfleet.adapters.runner import CommandError, Completed, mask_secrets
from hubfleet.core.masking import secret_forms

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


# --- issue 22 item 5: every form a value can take, as YAML and JSON emitters and diffs print it ---

QUOTED = "it's: Sup3rSecretValue"
UMLAUT = "pässwörd-Geheimnis-42"
LONG = "correct horse battery staple " * 4 + 'und "q" \u00fcber <alles> & mehr'


@pytest.mark.parametrize("secret", [QUOTED, UMLAUT, LONG])
@pytest.mark.parametrize(
    "dump",
    [
        lambda v: yaml.safe_dump({"config": {"password": v}}),  # re-quoted, escaped, folded at 80
        lambda v: yaml.safe_dump({"config": {"password": v}}, default_style='"'),
        lambda v: yaml.safe_dump({"a": {"b": {"c": v}}}, width=20),
        lambda v: yaml.safe_dump({"config": {"password": v}}, allow_unicode=True),
        lambda v: json.dumps({"password": v}),
        lambda v: json.dumps({"password": v}, ensure_ascii=False),
        lambda v: (
            json.dumps({"password": v})
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        ),
        lambda v: yaml.safe_dump(v).replace("\\x", "\\u00"),  # \u00e4, as Go's emitters escape
        lambda v: base64.encodebytes(v.encode()).decode(),  # base64 wrapped every 76 characters
    ],
)
def test_every_printed_form_is_masked(secret, dump):
    text = dump(secret)
    masked = mask_secrets(text, [secret])
    assert "*****" in masked
    for word in ("Sup3rSecret", "Geheimnis", "horse battery", "staple", "alles"):
        if word in secret:
            assert word not in masked, masked


@pytest.mark.parametrize("secret", [QUOTED, UMLAUT, LONG])
def test_a_manifest_diff_of_a_folded_value_is_masked_line_by_line_prefixes_included(secret):
    from hubfleet.core.manifests import unified

    before = yaml.safe_dump({"data": {"greeting": "hi", "password": secret}})
    after = yaml.safe_dump({"data": {"greeting": "hello", "password": secret}})
    masked = mask_secrets(unified(before, after, "deployed", "repository"), [secret])
    assert "Sup3rSecret" not in masked and "Geheimnis" not in masked and "battery" not in masked
    assert "-  greeting: hi" in masked and "+  greeting: hello" in masked


def test_masking_leaves_other_text_alone():
    text = yaml.safe_dump({"greeting": "hello world", "replicas": 3})
    assert mask_secrets(text, [QUOTED, UMLAUT]) == text


def test_remembered_values_are_masked_in_all_the_command_prints_and_only_there():
    from hubfleet.adapters.runner import remember_secrets, remembering

    remember_secrets(["outside-any-command"])  # a library caller: nothing is remembered
    assert mask_secrets("outside-any-command") == "outside-any-command"
    with remembering():
        remember_secrets(["s3cr3t-of-this-command"])
        assert mask_secrets("error: 's3cr3t-of-this-command' rejected") == "error: '*****' rejected"
    assert mask_secrets("s3cr3t-of-this-command") == "s3cr3t-of-this-command"
