"""Check HTML reports in a real headless browser: the page loads, every figure decodes,
the tables are there, and at 1280 px wide nothing essential needs horizontal scrolling.

A copy of each page gets a small script that runs once the page has loaded and writes what
the browser saw (images decoded, their pixel sizes, tables and their rows) into the DOM;
Chromium prints the DOM (``--dump-dom``) and this script reads the verdict from it. No
WebDriver, no network: Debian's ``chromium`` package is all it needs.

"Essential" is whatever a reader sees without opening a collapsed ``<details>`` section: the
page itself must not be wider than the window, and no table outside a ``<details>`` may be
wider than its box (a clipped or scrolled table). ``--screenshot DIR`` also saves each page,
as the browser drew it 1280 px wide, to ``DIR/<page stem>.png``.

Usage: ``python scripts/check_html.py PAGE.html [PAGE.html ...] [--min-figures N]
[--screenshot DIR]``; exit 1 with one line per problem if any page fails.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """
<script>
window.addEventListener("load", () => {
  const imgs = Array.from(document.images);
  const tables = Array.from(document.querySelectorAll("table"));
  const out = {
    title: document.title,
    images: imgs.map(i => ({src: i.src.slice(0, 40), complete: i.complete,
                            width: i.naturalWidth, height: i.naturalHeight})),
    tables: tables.map(t => t.rows.length),
    page_width: document.documentElement.scrollWidth,
    window_width: window.innerWidth,
    overflowing: tables.filter(t => !t.closest("details")).filter(t => {
      const box = t.parentElement;
      return t.getBoundingClientRect().width > box.clientWidth + 1
        || t.getBoundingClientRect().right > window.innerWidth + 1;
    }).map(t => (t.rows[0] ? t.rows[0].innerText : "").slice(0, 60)),
  };
  const pre = document.createElement("pre");
  pre.id = "cq-check";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""
_VERDICT = re.compile(r'<pre id="cq-check">(.*?)</pre>', re.S)


def browser() -> str:
    """The headless browser's executable (Debian: chromium)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no chromium found: apt-get install chromium")


#: Headless, and as wide as a laptop's browser window.
WIDTH = 1280
_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--hide-scrollbars", f"--window-size={WIDTH},900"]


def screenshot(page: Path, exe: str, out: Path, height: int = 2400) -> Path:
    """The top ``height`` px of ``page`` as the browser draws it :data:`WIDTH` px wide."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([exe, *_ARGS[:-1], f"--window-size={WIDTH},{height}",
                        f"--user-data-dir={tmp}", "--virtual-time-budget=15000",
                        f"--screenshot={out.resolve()}", page.resolve().as_uri()],
                       capture_output=True, text=True, timeout=120, check=True)
    return out


def inspect(page: Path, exe: str) -> dict:
    """What the browser saw on ``page`` once it loaded."""
    html = page.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        # Next to the original, so that relative links resolve as they would for a reader.
        probe = page.with_name(f".check-{page.name}")
        try:
            probe.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
            done = subprocess.run(
                [exe, *_ARGS, f"--user-data-dir={tmp}", "--virtual-time-budget=15000",
                 "--dump-dom", probe.resolve().as_uri()],
                capture_output=True, text=True, timeout=120)
        finally:
            probe.unlink(missing_ok=True)
    found = _VERDICT.search(done.stdout)
    if not found:
        raise RuntimeError(f"{page}: the page did not finish loading in the browser "
                           f"(exit {done.returncode}): {done.stderr.strip()[-300:]}")
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def problems(page: Path, seen: dict, min_figures: int) -> list[str]:
    """What is wrong with a page the browser saw (empty: nothing)."""
    out = []
    broken = [i["src"] for i in seen["images"] if not (i["complete"] and i["width"] > 0)]
    if broken:
        out.append(f"{page}: {len(broken)} figure(s) did not decode: {broken[:3]}")
    if len(seen["images"]) < min_figures:
        out.append(f"{page}: {len(seen['images'])} figure(s), expected at least {min_figures}")
    if not seen["tables"] or max(seen["tables"]) < 2:
        out.append(f"{page}: no table with rows")
    if seen["page_width"] > seen["window_width"] + 1:
        out.append(f"{page}: {seen['page_width']} px wide, wider than the "
                   f"{seen['window_width']} px window: it scrolls sideways")
    for header in seen["overflowing"]:
        out.append(f"{page}: a table outside any collapsed section is wider than the page "
                   f"at {WIDTH} px: {header!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("--min-figures", type=int, default=1)
    parser.add_argument("--screenshot", type=Path, default=None, metavar="DIR",
                        help=f"save each page as drawn {WIDTH} px wide to DIR/<stem>.png")
    args = parser.parse_args(argv)
    exe = browser()
    failed = []
    for page in args.pages:
        try:
            seen = inspect(page, exe)
        except (RuntimeError, subprocess.TimeoutExpired) as err:
            failed.append(str(err))
            continue
        bad = problems(page, seen, args.min_figures)
        failed += bad
        if args.screenshot is not None:
            screenshot(page, exe, args.screenshot / f"{page.stem}.png")
        if not bad:
            sizes = ", ".join(f"{i['width']}x{i['height']}" for i in seen["images"])
            print(f"ok {page}: {len(seen['images'])} figures decoded ({sizes}); "
                  f"{len(seen['tables'])} tables, rows {seen['tables']}")
    for line in failed:
        print(line, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
