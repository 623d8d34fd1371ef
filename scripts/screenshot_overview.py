"""Screenshot of the company overview for the README (Chromium through Playwright).

    python scripts/screenshot_overview.py --url http://127.0.0.1:8000 --username manager \
        --password ... [--out docs/screenshots/overview.png] [--query "start=2024-01&end=2025-12"]

Logs in through the login form, waits until every chart is drawn and takes a 1280x900 shot.
"""

import argparse
import shutil
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--query", default="")
    parser.add_argument("--out", default=ROOT / "docs" / "screenshots" / "overview.png", type=Path)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if shutil.which(CHROMIUM) else None,
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page(
            viewport={"width": 1280, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
        )
        page.goto(f"{args.url}/accounts/login/?next=/?{args.query}")
        page.fill("#id_username", args.username)
        page.fill("#id_password", args.password)
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
        expect(page.locator("canvas[data-state=drawn]")).to_have_count(
            page.locator("canvas[data-chart-url]").count()
        )
        page.wait_for_timeout(500)  # let the chart animations finish
        page.screenshot(path=str(args.out))
        browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
