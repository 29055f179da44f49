"""Start the real Streamlit server and drive it with Debian's chromium (browser test, benchmark).

Playwright cannot download browsers here; `/usr/bin/chromium` works with the flags below.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
IDLE_SCRIPT = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stSkeleton"]')
        && document.querySelector('[data-testid="stHeading"]');
}"""


def is_local(url: str) -> bool:
    """True for a request the page makes to this machine's server (or to no host: data:, blob:)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(db_path: Path, log_path: Path, extra_env: dict | None = None,
                timeout: float = 60) -> Iterator[str]:
    """`streamlit run dashboard.py` on a free port with CCHC_DB=db_path; yields the base URL."""
    port = free_port()
    env = {**os.environ, "CCHC_DB": str(db_path), **(extra_env or {})}
    for name in ("CCHC_EDITOR_PASSWORD_HASH", "CCHC_VIEWER_PASSWORD_HASH"):
        if name not in (extra_env or {}):
            env.pop(name, None)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
             "--server.headless", "true", "--server.fileWatcherType", "none"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"Streamlit did not start; see {log_path}") from None
                    time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_until_idle(page, timeout_ms: float = 30_000) -> None:
    """The script run finished and every element is drawn (no loading skeletons)."""
    page.wait_for_function(IDLE_SCRIPT, timeout=timeout_ms)


def full_page_screenshot(page, path: Path, width: int = 1440) -> None:
    """Streamlit scrolls inside its main section, so grow the viewport to the content first."""
    height = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        '[data-testid="stMain"], [data-testid="stMainBlockContainer"], [data-testid="stSidebarContent"]')]
        .map(e => e.scrollHeight), 900)""")
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 8000)})
    time.sleep(0.8)  # let Plotly redraw at the new size
    wait_until_idle(page)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": width, "height": 900})
