"""Check the teaching lab's interactive page (``python -m sim.app``) in headless Chromium.

Starts the page on a free local port, opens it in Debian's ``chromium`` through its
``chromedriver`` (Selenium), and checks what a student does: the page loads with its
metrics table and both figures; typing another headcount into the agents control changes
the table and both figures, and the Erlang C column shows the formula's value for the new
headcount; the second tab compares two policies. The browser's console must stay free of
errors throughout. ``--screenshot DIR`` saves both tabs, 1280 px wide, as
``DIR/app_queue.png`` and ``DIR/app_compare.png`` (docs/teaching.md shows those of
docs/screenshots/).

Usage: ``python scripts/check_app.py [--screenshot DIR]``; needs the ``app`` and
``ui-test`` extras (``pip install -e ".[app,ui-test]"``) and ``apt install chromium
chromium-driver``. Exit 1 with one line per problem if the page fails a check, 2 if
something it needs is missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim import erlang  # noqa: E402

#: The headcount typed into the agents control (the page opens at 12).
AGENTS = 14
#: Seconds allowed for the page to come up, answer a control, compare two policies.
START_S, ANSWER_S, COMPARE_S = 60, 30, 120

#: JavaScript: the data of the plotly figure in the dcc.Graph with the given id, as JSON.
_FIGURE = """
const g = document.getElementById(arguments[0]);
const p = g && (g.classList.contains('js-plotly-plot') ? g : g.querySelector('.js-plotly-plot'));
return p && p.data ? JSON.stringify(p.data) : null;
"""


def tools() -> tuple[str, str] | str:
    """(chromium, chromedriver) executables, or what is missing."""
    browser = next((p for n in ("chromium", "chromium-browser", "google-chrome")
                    if (p := shutil.which(n))), None)
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    if browser is None or driver is None:
        return "needs chromium and chromedriver: apt install chromium chromium-driver"
    missing = [m for m in ("dash", "selenium") if importlib.util.find_spec(m) is None]
    if missing:
        return f"needs {' and '.join(missing)}: pip install -e \".[app,ui-test]\""
    return browser, driver


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _until(what: Callable[[], Any], seconds: float, step: float = 0.2) -> Any:
    """``what()`` as soon as it is truthy, or its last (falsy) value after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = what()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def _serve(port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "sim.app", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def up() -> bool:
        if server.poll() is not None:
            raise RuntimeError(f"python -m sim.app exited: {server.stdout.read()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    if not _until(up, START_S, 0.5):
        server.kill()
        raise RuntimeError(f"python -m sim.app did not answer within {START_S} s")
    return server


def check(browser: str, driver: str, shots: Path | None) -> list[str]:
    """Drive the page; the problems found (none: it passed)."""
    from selenium import webdriver  # noqa: PLC0415
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.common.keys import Keys  # noqa: PLC0415

    problems: list[str] = []
    port = _free_port()
    server = _serve(port)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1300"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    page = webdriver.Chrome(service=Service(driver), options=options)
    text = lambda id_: "".join(e.text for e in page.find_elements(By.ID, id_))  # noqa: E731
    figure = lambda id_: page.execute_script(_FIGURE, id_)  # noqa: E731
    try:
        started = time.monotonic()
        page.get(f"http://127.0.0.1:{port}/")
        if not _until(lambda: text("queue-status") and figure("trace-figure"), START_S):
            return [f"the queue tab did not show its results within {START_S} s"]
        loaded = time.monotonic() - started
        rows = len(page.find_elements(By.CSS_SELECTOR, "#queue-table tbody tr"))
        if rows < 4:
            problems.append(f"the metrics table has {rows} rows, expected at least 4")
        table, waits, trace = text("queue-table"), figure("wait-figure"), figure("trace-figure")
        box = page.find_element(By.CSS_SELECTOR, "#agents input")
        box.click()
        box.send_keys(Keys.END, *[Keys.BACKSPACE] * 3, str(AGENTS), Keys.TAB)
        changed = _until(lambda: text("queue-table") != table and figure("wait-figure") != waits
                         and figure("trace-figure") != trace, ANSWER_S)
        if not changed:
            problems.append(f"agents={AGENTS} did not change the table and both figures "
                            f"within {ANSWER_S} s")
        expected = erlang.erlang_c_metrics(100 / 60, 6.0, AGENTS, 20 / 60).service_level
        if f"{expected * 100:.3g}%" not in text("queue-table"):
            problems.append(f"the Erlang C service level for {AGENTS} agents "
                            f"({expected:.1%}) is not in the table: {text('queue-table')!r}")
        if shots is not None:
            page.save_screenshot(str(shots / "app_queue.png"))
        page.find_elements(By.CSS_SELECTOR, "#tabs > div")[1].click()
        _until(lambda: page.find_elements(By.ID, "compare"), ANSWER_S)
        page.find_element(By.ID, "compare").click()
        if not _until(lambda: text("compare-status").startswith("A =")
                      and figure("compare-figure"), COMPARE_S, 0.5):
            problems.append(f"comparing two policies showed nothing within {COMPARE_S} s: "
                            f"{text('compare-status')!r}")
        elif shots is not None:
            time.sleep(0.5)  # the figure's transition
            page.save_screenshot(str(shots / "app_compare.png"))
        errors = [e["message"] for e in page.get_log("browser") if e["level"] == "SEVERE"]
        problems += [f"console error: {m}" for m in errors]
        print(json.dumps({"loaded_s": round(loaded, 2), "rows": rows,
                          "problems": len(problems)}))
    finally:
        page.quit()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--screenshot", type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    found = tools()
    if isinstance(found, str):
        print(f"check_app: {found}", file=sys.stderr)
        return 2
    if args.screenshot is not None:
        args.screenshot.mkdir(parents=True, exist_ok=True)
    problems = check(*found, args.screenshot)
    for p in problems:
        print(f"check_app: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
