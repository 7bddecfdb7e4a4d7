"""Screenshots of an HTML report, for looking at it and for the README.

Usage::

    python docs/screenshots.py out/report.html out/

writes ``report.png`` (the top of the report: summary, chart, templates) and
``report-page.png`` (the second page of the corpus with its removed lines
struck through: ``001_...`` in the seeds run). It drives Debian's chromium
(headless, offline, a fresh profile) with Playwright; without chromium it
says so and exits 0, since a screenshot is a convenience, not a result.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
WIDTH, HEIGHT = 1280, 1000


def main(report: Path, out: Path) -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("(no chromium, so no screenshot of the report: make test installs it)")
        return 0
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1)
        page.goto(report.resolve().as_uri())
        page.screenshot(path=out / "report.png")
        pages = page.locator("section.page")
        if pages.count() > 1:
            box = pages.nth(1).bounding_box()
            page.screenshot(
                path=out / "report-page.png",
                full_page=True,
                clip={"x": 0, "y": box["y"] - 16, "width": WIDTH, "height": min(box["height"] + 32, HEIGHT)},
            )
        browser.close()
    for name in ("report.png", "report-page.png"):
        if (out / name).exists():
            print(f"screenshot: {out / name}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
