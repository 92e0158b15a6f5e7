"""Regenerate docs/screenshots/*.png: the console's pages on a desktop and a phone.

    ./dev screenshots          # (runs .venv/bin/python docs/make_screenshots.py)

A throwaway SQLite database gets the schema from the migrations and the demo data of
``./dev demo``; the app is served on a loopback port; headless Chromium (Debian's, through
Playwright) signs in as the demo police officer through the sign-in page and photographs the
first screen of every page a police officer can open (console/sitemap.py, so pages added
later are included) at 1280 x 800 and 375 x 740. The PNGs are reduced to 256 colours.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from bench.console_pages import CHROMIUM_FLAGS, served  # noqa: E402

# The full browser (not the headless shell the tests use): pictures as a person sees them.
CHROMIUM = "/usr/bin/chromium"

OUT = Path(__file__).resolve().parent / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}


def demo_app(folder: Path) -> Any:
    """The app on a fresh SQLite file with the migrations applied and the demo data in it."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from grannsamverkan import create_app
    from grannsamverkan.cli import bind_migrations
    from grannsamverkan.demo import seed_demo
    from grannsamverkan.extensions import db
    from grannsamverkan.models import Area, Broadcast, Tip

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.db'}",
            "SECRET_KEY": "screenshots",
            "GSV_DISPATCHER": "off",
        }
    )
    bind_migrations(app)
    with app.app_context():
        upgrade()
        for _line in seed_demo():
            pass
        first = {
            "tip": db.session.scalar(select(Tip.id).order_by(Tip.created_at.desc()).limit(1)),
            "area": db.session.scalar(select(Area.id).order_by(Area.id).limit(1)),
            "broadcast": db.session.scalar(
                select(Broadcast.id).where(Broadcast.kind != "training_event").limit(1)
            ),
            "event": db.session.scalar(
                select(Broadcast.id).where(Broadcast.kind == "training_event").limit(1)
            ),
        }
    app.config["SCREENSHOT_SAMPLES"] = first
    return app


def save_small(png: bytes, target: Path) -> None:
    """The screenshot with at most 256 colours: a fraction of the size, text stays sharp."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def main() -> None:
    from playwright.sync_api import sync_playwright

    from grannsamverkan.console.sitemap import police_pages
    from grannsamverkan.demo import DEMO_PASSWORD, POLICE_EMAIL

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as folder:
        app = demo_app(Path(folder))
        pages = police_pages(app, app.config["SCREENSHOT_SAMPLES"])
        with served(app) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                # A Swedish browser: date fields show Swedish dates.
                executable_path=CHROMIUM,
                headless=True,
                args=[*CHROMIUM_FLAGS, "--lang=sv-SE"],
            )
            for device, viewport in VIEWPORTS.items():
                context = browser.new_context(base_url=base, locale="sv-SE", viewport=viewport)
                page = context.new_page()
                page.goto("/sign-in", wait_until="networkidle")
                page.get_by_label("E-postadress").fill(POLICE_EMAIL)
                save_small(page.screenshot(), OUT / f"sign-in-{device}.png")
                page.get_by_label("Lösenord").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Logga in").click()
                page.wait_for_url("**/today")
                for console_page in pages:
                    page.goto(console_page.path, wait_until="networkidle")
                    name = console_page.name.replace(".", "-").removesuffix("-index")
                    save_small(page.screenshot(), OUT / f"{name}-{device}.png")
                context.close()
            browser.close()
    for png in sorted(OUT.glob("*.png")):
        print(f"{png.relative_to(OUT.parent.parent)}  {png.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
