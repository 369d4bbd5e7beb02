"""Tool output (issue 22 items 13-15): decoded leniently, parsed by type, bounded in time."""

from __future__ import annotations

import sys

import pytest

from hubfleet.adapters import helm
from hubfleet.adapters.runner import CommandError, Completed, run
from hubfleet.core.errors import HubfleetError


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_successful_command_with_a_non_utf8_byte_is_a_success_and_keeps_its_text():
    done = run(_py("import sys; sys.stdout.buffer.write(b'Release \\xff upgraded\\n')"))
    assert done.returncode == 0 and done.stdout == "Release \ufffd upgraded\n"


def test_a_failing_command_with_a_non_utf8_byte_keeps_its_own_message():
    code = "import sys; sys.stderr.buffer.write(b'Error: UPGRADE FAILED: bad \\xe4 byte\\n'); sys.exit(1)"
    with pytest.raises(CommandError) as e:
        run(_py(code))
    assert "Error: UPGRADE FAILED: bad \ufffd byte" in str(e.value) and "(exit 1)" in str(e.value)


def test_text_input_reaches_the_command_as_utf8():
    done = run(_py("import sys; sys.stdout.write(sys.stdin.buffer.read().hex())"), input="ä")
    assert done.stdout == "c3a4"


# --- item 14: unexpected tool output is one line naming the command and what was expected ------

HISTORY = (
    "/opt/helm",
    "history",
    "r",
    "--namespace",
    "n",
    "--max",
    "10",
    "--output",
    "json",
    "--kube-context",
    "c",
)
LIST = ("/opt/helm", "list", "--all-namespaces", "--all", "--output", "json", "--kube-context", "c")
VALUES = ("/opt/helm", "get", "values", "r", "--namespace", "n", "--output", "json", "--all")


def _done(argv, stdout):
    return Completed(argv, 0, stdout, "")


def test_a_history_revision_1e400_names_the_command_and_what_was_expected():
    with pytest.raises(HubfleetError) as e:
        helm.revisions(_done(HISTORY, '[{"revision": 1e400, "status": "deployed"}]'))
    assert str(e.value) == (
        "`helm history r --namespace n --max 10 --output json` printed unexpected output: expected a JSON "
        "list of revisions, each an object with a whole-number `revision` and a string `status` "
        "(got revision inf, status a string)"
    )


@pytest.mark.parametrize("revision", ["true", "1.5", "0", '"3"'])
def test_a_history_revision_that_is_no_whole_number_is_refused(revision):
    with pytest.raises(HubfleetError, match="`helm history r --namespace n"):
        helm.revisions(_done(HISTORY, f'[{{"revision": {revision}, "status": "deployed"}}]'))


@pytest.mark.parametrize(
    ("text", "got"), [("{}", "an object"), ("[1,2]", "an item that is not such"), ("x", "not JSON")]
)
def test_helm_list_of_another_shape_is_not_nothing_deployed(text, got):
    with pytest.raises(HubfleetError) as e:
        helm.releases(_done(LIST, text))
    assert str(e.value).startswith(
        "`helm list --all-namespaces --all --output json` printed unexpected output: expected a JSON list of releases"
    )
    assert got in str(e.value)


@pytest.mark.parametrize(
    ("text", "got"), [("[1]", "(got a list)"), ("Error: s3cr3t-value", "not JSON at line 1")]
)
def test_get_values_of_another_shape_is_not_differs_and_never_echoes_the_output(text, got):
    with pytest.raises(HubfleetError) as e:
        helm.user_values(_done(VALUES, text))
    assert str(e.value).startswith(
        "`helm get values r --namespace n --output json` printed unexpected output"
    )
    assert got in str(e.value) and "s3cr3t" not in str(e.value)


def test_well_formed_output_reads_as_typed_values():
    assert helm.user_values(_done(VALUES, "null")) == {} and helm.user_values(_done(VALUES, '{"a": 1}')) == {
        "a": 1
    }
    [rev] = helm.revisions(_done(HISTORY, '[{"revision": 2, "status": "deployed"}]'))
    assert (rev.number, rev.status) == (2, "deployed")
    [live] = helm.releases(_done(LIST, '[{"name": "h", "namespace": "n", "revision": "3"}]'))
    assert (live.name, live.namespace, live.revision) == ("h", "n", "3")
