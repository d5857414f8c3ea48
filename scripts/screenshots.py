#!/usr/bin/env python
"""Take full-page screenshots of the main pages of every demo role (a developer tool).

Start a server with the demo data first, e.g.:

    export FRONTDESK_INSTANCE_PATH=/tmp/demo-inst
    flask --app frontdesk db upgrade && flask --app frontdesk demo-data --if-empty
    flask --app frontdesk run --port 5000 &
    python scripts/screenshots.py http://127.0.0.1:5000 --out /tmp/screens

Every PNG written is printed; pages that answer with an error status, and console errors or
uncaught exceptions (a Content-Security-Policy violation shows there), are printed to stderr.
The exit status is 1 when a login failed or a page could not be loaded, else 0.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "demo1234"
UNIT_CODE = "3-2-1502"


@dataclass
class Shot:
    """One page to photograph: a path to open, or a function that gets the page there."""

    name: str
    path: str | None = None
    action: Callable | None = None


def _search_unit(page, base: str) -> None:
    """Type the unit code into the desk's search box and land on the unit card."""
    page.goto(base + "/desk")
    box = page.locator("form.search-box input[name=q]")
    box.fill(UNIT_CODE)
    with page.expect_navigation():
        box.press("Enter")
    if "/desk/units/" not in page.url:
        raise RuntimeError(f"search for {UNIT_CODE} did not open a unit card: {page.url}")


def _failed_unit_edit(page, base: str) -> None:
    """Open the unit's edit page from its card and submit it with invalid values."""
    _search_unit(page, base)
    match = re.search(r"/desk/units/(\d+)", page.url)
    page.goto(f"{base}/register/units/{match.group(1)}/edit")
    page.fill("main form input[name=room]", "")  # required
    page.fill("main form input[name=floor]", "")  # required (a number input takes no text)
    page.fill("main form input[name=gross_area]", "abc")  # not an area
    with page.expect_navigation():
        page.click("main form [type=submit]")


DESK = [
    Shot("desk", "/desk"),
    Shot("unit-card", action=_search_unit),
    Shot("buildings", "/register/buildings"),
    Shot("people", "/register/people"),
    Shot("person-1", "/register/people/1"),
    Shot("unit-edit-invalid", action=_failed_unit_edit),
    Shot("account", "/account"),
]
ROLES: dict[str, list[Shot]] = {
    "desk": DESK,
    "admin": [
        Shot("users", "/admin/users"),
        Shot("roles", "/admin/roles"),
        Shot("estates", "/admin/estates"),
        Shot("audit", "/audit/"),
    ],
    "manager": [Shot("audit", "/audit/"), Shot("desk", "/desk")],
    "finance": [Shot("desk", "/desk"), Shot("buildings", "/register/buildings")],
    "engineer": [Shot("home", "/"), Shot("buildings", "/register/buildings")],
}


def _login(page, base: str, username: str, password: str) -> bool:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    return not page.url.split("?")[0].endswith("/login")


def _warn(message: str) -> None:
    print(f"  ! {message}", file=sys.stderr)


def run(base: str, out: Path, roles: list[str], password: str, chromium: str,
        width: int, height: int) -> int:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for role in roles:
            context = browser.new_context(locale="zh-CN",
                                          viewport={"width": width, "height": height})
            context.set_default_timeout(15_000)
            page = context.new_page()
            problems: list[str] = []
            page.on("console", lambda msg, problems=problems: problems.append(
                f"console {msg.type}: {msg.text} ({msg.location.get('url')})")
                if msg.type == "error" else None)
            page.on("pageerror", lambda exc, problems=problems: problems.append(
                f"uncaught exception: {exc}"))
            page.on("response", lambda r, problems=problems: problems.append(
                f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
            try:
                if not _login(page, base, role, password):
                    _warn(f"{role}: login failed (still on {page.url})")
                    failures += 1
                    continue
                for number, shot in enumerate(ROLES[role], start=1):
                    problems.clear()
                    try:
                        if shot.action:
                            shot.action(page, base)
                        else:
                            page.goto(base + shot.path)
                        page.wait_for_load_state("networkidle")
                    except (PlaywrightError, RuntimeError) as e:
                        _warn(f"{role} {shot.name}: {e}")
                        failures += 1
                    target = out / f"{role}-{number:02d}-{shot.name}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
                    for problem in problems:
                        _warn(f"{target.name}: {problem}")
            finally:
                context.close()
        browser.close()
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", nargs="?", default="http://127.0.0.1:5000",
                        help="where the app runs (default %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/screens"),
                        help="folder for the PNGs (default %(default)s)")
    parser.add_argument("--role", action="append", choices=list(ROLES),
                        help="only these demo logins (repeatable; default all)")
    parser.add_argument("--password", default=DEMO_PASSWORD,
                        help="password of the demo logins (default %(default)s)")
    parser.add_argument("--chromium", default=CHROMIUM, help="browser executable")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args(argv)
    try:
        import playwright  # noqa: F401
    except ImportError:
        parser.error("the playwright package is missing: pip install -e '.[test]'")
    if not Path(args.chromium).is_file():
        parser.error(f"no browser at {args.chromium} (apt-get install chromium)")
    return run(args.base_url.rstrip("/"), args.out, args.role or list(ROLES), args.password,
               args.chromium, args.width, args.height)


if __name__ == "__main__":
    sys.exit(main())
