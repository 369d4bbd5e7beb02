"""`did_you_mean`: a typo's close match, or the one choice a name cut short begins."""

from __future__ import annotations

import pytest

from hubfleet.core.errors import did_you_mean


@pytest.mark.parametrize(
    "word, choices, hint",
    [
        ("ocean", ["oceans", "climate"], " (did you mean `oceans`?)"),
        ("aws", ["aws-us", "gcp-eu", "uni-west"], " (did you mean `aws-us`?)"),  # too short for difflib
        ("--clustr", ["--cluster", "--hub"], " (did you mean `--cluster`?)"),
        ("uni", ["uni-west", "uni-east"], ""),  # two begin with it: no guess
        ("", ["aws-us"], ""),
        ("zzz", ["aws-us"], ""),
    ],
)
def test_did_you_mean(word, choices, hint):
    assert did_you_mean(word, choices) == hint
