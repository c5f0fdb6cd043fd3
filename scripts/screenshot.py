"""Screenshot a page of a running app once Streamlit has finished rendering it.

    python scripts/screenshot.py http://127.0.0.1:8501/ docs/overview.png [--height 1800]

Uses Debian's Chromium through playwright, like the browser tests.
"""

from __future__ import annotations

import argparse

from playwright.sync_api import sync_playwright

READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("output")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1800)
    parser.add_argument("--full-page", action="store_true")
    parser.add_argument("--click", action="append", default=[], help="a tab's text to open first")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(args.url)
        page.wait_for_selector(READY, timeout=60_000)
        for text in args.click:
            page.get_by_role("tab", name=text).first.click()
            page.wait_for_selector(READY, timeout=60_000)
        page.wait_for_timeout(1500)  # let Vega finish drawing the charts
        page.screenshot(path=args.output, full_page=args.full_page)
        browser.close()


if __name__ == "__main__":
    main()
