"""A minimal Language Server Protocol client (JSON-RPC over stdio) for driving yaml-language-server
as an editor would: initialize with a workspace, send the editor's settings, open a file, ask for
completion and hover, collect diagnostics."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any


class LspClient:
    def __init__(self, argv: list[str], root: Path, settings: dict[str, Any]) -> None:
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.root = root
        self.settings = settings
        self._id = 0
        self._replies: dict[int, queue.Queue] = {}
        self.diagnostics: dict[str, list[dict]] = {}
        self._diag_event = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _send(self, msg: dict[str, Any]) -> None:
        body = json.dumps(msg).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                key, _, value = line.decode().partition(":")
                headers[key.strip().lower()] = value.strip()
            msg = json.loads(out.read(int(headers["content-length"])))
            if "id" in msg and "method" in msg:  # a request from the server
                self._answer(msg)
            elif "id" in msg:
                self._replies.setdefault(msg["id"], queue.Queue()).put(msg)
            elif msg.get("method") == "textDocument/publishDiagnostics":
                with self._diag_event:
                    self.diagnostics[msg["params"]["uri"]] = msg["params"]["diagnostics"]
                    self._diag_event.notify_all()

    def _answer(self, msg: dict[str, Any]) -> None:
        result: Any = None
        if msg["method"] == "workspace/configuration":
            result = [self.settings.get(item.get("section", ""), None) for item in msg["params"]["items"]]
        self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    def request(self, method: str, params: dict[str, Any], timeout: float = 30) -> Any:
        self._id += 1
        box = self._replies.setdefault(self._id, queue.Queue())
        self._send({"jsonrpc": "2.0", "id": self._id, "method": method, "params": params})
        reply = box.get(timeout=timeout)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply.get("result")

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def start(self) -> None:
        uri = self.root.as_uri()
        self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": self.root.name}],
                "capabilities": {"workspace": {"configuration": True}, "textDocument": {"completion": {}}},
            },
        )
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": self.settings})

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
        )
        return uri

    def wait_diagnostics(self, uri: str, timeout: float = 30) -> list[dict]:
        with self._diag_event:
            self._diag_event.wait_for(lambda: uri in self.diagnostics, timeout=timeout)
        return self.diagnostics.get(uri, [])

    def completion(self, uri: str, line: int, character: int) -> list[str]:
        result = self.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        items = result.get("items", []) if isinstance(result, dict) else (result or [])
        return [i["label"] for i in items]

    def hover(self, uri: str, line: int, character: int) -> str:
        result = self.request(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        if not result:
            return ""
        contents = result["contents"]
        return contents["value"] if isinstance(contents, dict) else str(contents)

    def close(self) -> None:
        try:
            self.request("shutdown", {}, timeout=5)
            self.notify("exit", {})
        except Exception:
            pass
        self.proc.kill()
        self.proc.wait()
