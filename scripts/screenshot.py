"""Take a screenshot of a page in headless Chromium: used for the README and for checking UI.

    python scripts/screenshot.py URL OUT.png [--size 1920x1080] [--wait CSS] [--delay S]
                                 [--login NAME:PASSWORD] [--full | --element CSS]

With ``--login`` the browser signs in first when the page sends it to ``/login``; a kiosk link
(``/kiosk/...``) signs in by itself.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.driver import make_driver, set_viewport


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("out")
    p.add_argument("--size", default="1920x1080")
    p.add_argument("--wait", default=".leaflet-container")
    p.add_argument("--delay", type=float, default=3.0)
    p.add_argument("--full", action="store_true", help="capture the whole page height")
    p.add_argument("--login", help="NAME:PASSWORD to sign in with when asked")
    p.add_argument("--element", help="capture only the first element matching this CSS "
                                     "selector, scrolled into view, at the window's size")
    args = p.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    driver = make_driver(width, height)
    try:
        driver.get(args.url)
        if args.login and "/login" in driver.current_url:
            name, _, password = args.login.partition(":")
            driver.find_element("id", "username").send_keys(name)
            driver.find_element("id", "password").send_keys(password)
            driver.find_element("css selector", "button[type=submit]").click()
            time.sleep(1)
        deadline = time.time() + 30
        while time.time() < deadline:
            if driver.find_elements("css selector", args.wait):
                break
            time.sleep(0.2)
        time.sleep(args.delay)
        if args.full:
            total = driver.execute_script("return document.documentElement.scrollHeight")
            set_viewport(driver, width, total)
            time.sleep(1)
        if args.element:
            found = driver.find_element("css selector", args.element)
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", found)
            time.sleep(0.5)
            found.screenshot(args.out)
        else:
            driver.save_screenshot(args.out)
        for entry in driver.get_log("browser"):
            print(entry["level"], entry["message"][:300])
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
