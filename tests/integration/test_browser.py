"""A person's path through the demo hub: log in with headless Chromium, reach the user's UI.

Debian's `chromium`, driven by `playwright-core` (npm, no browser download) from a
small node script; the screenshot lands in pytest's tmp dir. Skips with the reason
when Chromium, node or npm is missing.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from hubfleet.adapters.runner import run

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"),
    pytest.mark.skipif(
        shutil.which("node") is None, reason="node is not installed (apt-get install -y nodejs npm)"
    ),
]

SCRIPT = r"""
const { chromium } = require(process.env.PLAYWRIGHT_CORE);
const [hub, user, shot, profile, executablePath, password] = process.argv.slice(2);
(async () => {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    await page.goto(hub + "hub/login", { timeout: 30000 });
    await page.fill("#username_input", user);
    await page.fill("#password_input", password);
    await Promise.all([page.waitForURL(/\/user\//, { timeout: 90000 }), page.click("#login_submit")]);
    await page.waitForSelector(".jp-Launcher", { timeout: 90000 });
    await page.screenshot({ path: shot });
    console.log(JSON.stringify({ url: page.url(), title: await page.title() }));
  } finally {
    await context.close();
  }
})().catch((e) => { console.error(String(e)); process.exit(1); });
"""


@pytest.fixture(scope="module")
def playwright_core() -> Path:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed (apt-get install -y npm)")
    from hubfleet.local.install import ensure_npm_package

    return ensure_npm_package(REPO, "playwright-core")


def test_log_in_and_reach_jupyterlab(local_hub, playwright_core, tmp_path):
    pytest.importorskip("jupyterlab", reason="the demo's defaultUrl is /lab: pip install jupyterlab")
    hub = local_hub("demo")
    script = tmp_path / "login.js"
    script.write_text(SCRIPT)
    shot = tmp_path / "jupyterlab.png"
    done = run(
        [
            "node",
            str(script),
            hub.url,
            "browser-user",
            str(shot),
            str(tmp_path / "profile"),
            str(CHROMIUM),
            hub.password,  # the demo hub's own password (a local hub has one: never "any password")
        ],
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PLAYWRIGHT_CORE": str(playwright_core)},
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    page = json.loads(done.stdout.strip().splitlines()[-1])
    assert "/user/browser-user/lab" in page["url"]
    assert "JupyterLab" in page["title"]
    assert shot.stat().st_size > 5000
    print(f"screenshot: {shot}")
