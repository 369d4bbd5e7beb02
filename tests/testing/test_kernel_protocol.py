"""run_code's kernel protocol over a recording stand-in websocket: "None" for no result, no hang."""

from __future__ import annotations

import json

import pytest

from hubfleet.core.errors import HubfleetError
from hubfleet.testing.client import execute, login_form


class KernelStandin:
    """A stand-in kernel websocket: answers the execute_request with `replies` (type, content)."""

    def __init__(self, replies):
        self.replies = replies
        self.queue: list[str] = []

    def send(self, raw):
        msg_id = json.loads(raw)["header"]["msg_id"]
        self.queue += [json.dumps({"parent_header": {"msg_id": "other"}, "msg_type": "status"})]
        for kind, content in self.replies:
            self.queue.append(
                json.dumps({"parent_header": {"msg_id": msg_id}, "msg_type": kind, "content": content})
            )

    def recv(self, timeout):
        if not self.queue:
            raise TimeoutError
        return self.queue.pop(0)


IDLE = ("status", {"execution_state": "idle"})
OK = ("execute_reply", {"status": "ok"})


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        ([("execute_result", {"data": {"text/plain": "2"}}), IDLE, OK], "2"),
        ([OK, ("execute_result", {"data": {"text/plain": "'a'"}}), IDLE], "'a'"),
        ([IDLE, OK], "None"),  # `None` or a statement: no execute_result at all
        ([OK, IDLE], "None"),
    ],
)
def test_results_in_either_order(replies, expected):
    assert execute(KernelStandin(replies), "code", timeout=5) == expected


def test_an_exception_is_an_error_naming_it():
    replies = [("error", {"ename": "ZeroDivisionError", "evalue": "division by zero"}), IDLE]
    with pytest.raises(HubfleetError, match="`1/0` raised ZeroDivisionError: division by zero"):
        execute(KernelStandin(replies), "1/0", timeout=5)


def test_a_silent_kernel_times_out_instead_of_hanging():
    ticks = iter(range(100))
    with pytest.raises(HubfleetError, match="no answer to `x` within 3s"):
        execute(KernelStandin([]), "x", timeout=3, clock=lambda: next(ticks))


def test_login_form_finds_the_username_form_and_its_hidden_fields():
    html = """<form action="/hub/other"><input name="q"></form>
    <form method="post" action="/hub/login?next=%2Fhub%2Fhome&amp;x=1">
      <input type="hidden" name="_xsrf" value="abc"/><input id="u" name="username"/>
      <input type="password" name="password"/></form>"""
    assert login_form(html) == ("/hub/login?next=%2Fhub%2Fhome&x=1", {"_xsrf": "abc"})
    assert login_form("<p>no form</p>") is None
