"""Screenshots of every page as each room sees it, into docs/screenshots/:

    python benchmarks/screenshots.py            # or: make screenshots

- phone: every page at 390×844 (mobile emulation, device scale 1), signed in as admin, the
  whole page top to bottom (at most 5,000 px), in Vietnamese and English;
- wall: the wall views (`?mode=wall`, the kiosk `/public`, the `/wall` playlist) at 1920×1080
  and 3840×2160, in both languages.

PNG at device scale 1, reduced to 256 colours (Pillow) to keep the set small.

It builds Thanh Hóa's demo databases in a temporary folder (the tests' seed and date), signs
in a temporary admin and serves the app on a free local port without a basemap, so it needs
nothing but the project and Chromium. `--base-url URL --user NAME --password-file FILE` shoots a
running server instead. The last line is a JSON object: per phone shot the page's width
(`document.documentElement.scrollWidth`, to compare with 390), per wall shot whether it scrolls.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.chromium import chrome_options, hard_quit  # noqa: E402  (project on the path)
from benchmarks.map_load import free_port, wait_for_port  # noqa: E402

USER, PASSWORD = "screenshots", "screenshots-take-2026"
DEMO_NOW = datetime(2026, 11, 20, 10, 0)
# (name, address, what shows the page is drawn); every page a signed-in admin can open.
PHONE_PAGES = (
    ("overview", "/?year=2022", ".kpi-card .kpi-value"),
    ("map", "/map", ".leaflet-container"),
    ("operations", "/operations", ".ops-stats"),
    ("services", "/services?period=2022", ".kpi-card"),
    ("digital", "/digital?period=2022", ".kpi-card"),
    ("targets", "/targets", ".targets-table"),
    ("ward", "/ward/14755", ".compare-table"),
    ("public", "/public", ".kiosk-card"),
    ("present", "/present?period=2022", ".slide"),
    ("admin", "/admin", "#_pages_content .data-grid .ag-row"),
    ("admin-import", "/admin/import", "#_pages_content h1"),
    ("admin-calendar", "/admin/calendar", "#_pages_content h1"),
    ("admin-tokens", "/admin/tokens", "#_pages_content h1"),
    ("admin-alert-rules", "/admin/alert-rules", "#_pages_content h1"),
    ("alerts", "/alerts", "#_pages_content h1"),
    ("login", "/login", "#username"),
)
# The wall views: the pages a wall shows, in wall mode; the kiosk; the /wall playlist (its first view).
WALL_VIEWS = ("overview", "map", "operations", "services", "digital", "targets", "ward")
WALL_PAGES = (*[(name, address + ("&" if "?" in address else "?") + "mode=wall", ready)
                for name, address, ready in PHONE_PAGES if name in WALL_VIEWS],
              ("public", "/public", ".kiosk-card"),
              ("wall", "/wall?views=overview,operations&every=600", ".kpi-card .kpi-value"))
WALL_SIZES = ((1920, 1080), (3840, 2160))
PHONE = (390, 844)
LONGEST_PHONE_SHOT = 5000


def build_demo(folder: Path) -> dict:
    """Demo databases and an admin account in `folder`; the environment that serves them."""
    env = {**os.environ, "IOC_DATABASE_URL": f"sqlite:///{folder / 'ioc.db'}",
           "KPI_DATABASE_URL": f"sqlite:///{folder / 'kpi.db'}", "TILE_URL": "", "APP_ENV": "development",
           "DEFAULT_LANG": "vi", "DEFAULT_CITY": "thanh-hoa", "SECRET_KEY": "screenshots-" + "0123456789abcdef" * 3}
    script = ("from datetime import datetime\n"
              "from demo.build import build_city\n"
              "from security.accounts import create_user\n"
              "from security.passwords import hash_password\n"
              f"build_city('thanh-hoa', seed=2022, now=datetime.fromisoformat({DEMO_NOW.isoformat()!r}))\n"
              f"create_user({USER!r}, hash_password({PASSWORD!r}), 'admin', 'Nguyễn Văn An')\n")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return env


def browser():
    from selenium import webdriver

    return webdriver.Chrome(options=chrome_options())


def emulate(driver, width: int, height: int, mobile: bool) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def sign_in(driver, base: str, user: str, password: str) -> None:
    driver.get(f"{base}/login")
    driver.find_element("id", "username").send_keys(user)
    driver.find_element("id", "password").send_keys(password)
    driver.find_element("id", "submit").click()
    time.sleep(1.5)


def with_lang(address: str, lang: str) -> str:
    return address + ("&" if "?" in address else "?") + f"lang={lang}"


def wait_drawn(driver, selector: str, timeout: float = 25) -> bool:
    """The page's content is there and Dash has nothing left in flight."""
    end = time.time() + timeout
    while time.time() < end:
        ready = driver.execute_script(
            "return !!document.querySelector(arguments[0]) && !document.querySelector('[data-dash-is-loading]');",
            selector)
        if ready:
            time.sleep(1.5)  # charts, maps and the wall's fit settle
            return True
        time.sleep(0.3)
    return False


def save(driver, path: Path, width: int, height: int) -> None:
    import base64

    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": height > driver.execute_script("return innerHeight"),
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    path.write_bytes(small_png(base64.b64decode(shot["data"])))


def small_png(data: bytes) -> bytes:
    """The shot as a 256-colour PNG: a third of the size or less, text as sharp (unchanged without Pillow)."""
    try:
        from PIL import Image
    except ImportError:
        return data
    image = Image.open(io.BytesIO(data)).convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def shoot_phone(driver, base: str, out: Path, langs: list[str], names: set[str] | None,
                signed_in: bool) -> list[dict]:
    """The phone shots of the login page (`signed_in` False) or of every other page."""
    emulate(driver, *PHONE, mobile=True)
    results = []
    for lang in langs:
        for name, address, ready in PHONE_PAGES:
            if (names and name not in names) or (name == "login") == signed_in:
                continue
            driver.get(base + with_lang(address, lang))
            drawn = wait_drawn(driver, ready)
            width, height = driver.execute_script(
                "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            save(driver, out / f"{name}_{lang}_{PHONE[0]}x{PHONE[1]}.png", PHONE[0], min(height, LONGEST_PHONE_SHOT))
            results.append({"page": name, "lang": lang, "size": "390x844", "page_width": width, "drawn": drawn})
    return results


def shoot_wall(driver, base: str, out: Path, langs: list[str], names: set[str] | None) -> list[dict]:
    results = []
    for width, height in WALL_SIZES:
        emulate(driver, width, height, mobile=False)
        for lang in langs:
            for name, address, ready in WALL_PAGES:
                if names and name not in names:
                    continue
                driver.get(base + with_lang(address, lang))
                drawn = wait_drawn(driver, ready)
                time.sleep(1.0)
                scrolls = driver.execute_script(
                    "const d = document.documentElement;"
                    " return d.scrollWidth > innerWidth || d.scrollHeight > innerHeight")
                save(driver, out / f"{name}_{lang}_{width}x{height}.png", width, height)
                results.append({"page": name, "lang": lang, "size": f"{width}x{height}", "scrolls": scrolls,
                                "drawn": drawn})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--base-url", help="a running server (default: build the demo and serve it here)")
    parser.add_argument("--user", default=USER)
    parser.add_argument("--password-file", help="file holding the password of --user")
    parser.add_argument("--only", choices=("phone", "wall"), help="one set only")
    parser.add_argument("--pages", help="comma-separated page names (default: all)")
    parser.add_argument("--langs", default="vi,en")
    args = parser.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = set(args.pages.split(",")) if args.pages else None
    langs = [lang for lang in args.langs.split(",") if lang in ("vi", "en")]
    server, folder = None, None
    base, user, password = args.base_url, args.user, PASSWORD
    if args.password_file:
        password = Path(args.password_file).read_text(encoding="utf-8").strip()
    if base is None:
        folder = Path(tempfile.mkdtemp(prefix="ioc-screenshots-"))
        env = build_demo(folder)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4",
                                   "--bind", f"127.0.0.1:{port}", "app:server"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port)
        base, user = f"http://127.0.0.1:{port}", USER
    driver = browser()
    results = []
    try:
        if args.only in (None, "phone"):
            results += shoot_phone(driver, base, out, langs, names, signed_in=False)
        sign_in(driver, base, user, password)
        if args.only in (None, "phone"):
            results += shoot_phone(driver, base, out, langs, names, signed_in=True)
        if args.only in (None, "wall"):
            results += shoot_wall(driver, base, out, langs, names)
    finally:
        hard_quit(driver)
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    for row in results:
        print(row)
    print(json.dumps({"shots": len(results), "out": str(out),
                      "widest_phone_page": max((r["page_width"] for r in results if "page_width" in r), default=None),
                      "wall_scrolls": [f"{r['page']} {r['lang']} {r['size']}" for r in results if r.get("scrolls")]}))


if __name__ == "__main__":
    main()
