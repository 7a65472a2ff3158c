"""The dashboard through the sandbox's OAuth2: who gets in, what they see, and every way
in that must be refused (a forged or replayed state, a reused code, a tampered cookie, an
expired session, another guild asked by id, a guild the person left), each without a byte
of the guild's data and without a server error."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from yarl import URL

from bot.access import TeamAccess
from bot.clock import SystemClock
from bot.db import Database
from bot.db.models import DailyGuildActivity, DailyMemberActivity, GuildSettings
from bot.db.models import Member as MemberRow
from bot.guilds import GuildSettingsService
from bot.i18n import t
from bot.metrics.report import as_csv, weekly_rows
from bot.metrics.summary import build_report
from bot.web.app import create_app
from bot.web.auth import SESSION_COOKIE
from demo.scenario import Town, build_town
from discord_sandbox import Sandbox
from discord_sandbox.state import Member

SECRET = b"s" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Clock:
    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Dashboard:
    sb: Sandbox
    db: Database
    town: Town
    other: Town
    url: str
    clock: Clock
    browsers: list[aiohttp.ClientSession] = field(default_factory=list)

    def browser(self) -> aiohttp.ClientSession:
        """A fresh browser: its own cookies (IP hosts allowed, as a browser does)."""
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.browsers.append(session)
        return session

    async def logged_in(self, who: Member) -> aiohttp.ClientSession:
        """A browser that went through Discord's login as `who`."""
        browser = self.browser()
        self.sb.oauth_login_as(who)
        async with browser.get(f"{self.url}/login") as resp:
            assert resp.status == 200, await resp.text()
            assert str(resp.url) == f"{self.url}/"
        return browser


async def seed_weeks(db: Database, town: Town) -> None:
    """Foyer arrived 60 days ago; each member wrote on some days of the last six weeks
    (the rollups the recorder writes), so the page has weeks and figures to show."""
    now = datetime.now(UTC)
    gid = town.guild.id
    rows: list[Any] = []
    totals: dict[date, int] = {}
    for i, person in enumerate(town.members):
        rows.append(
            MemberRow(guild_id=gid, user_id=person.user.id, joined_at=now - timedelta(days=90))
        )
        for days_ago in range(1 + i, 42, 3 + i):
            day = (now - timedelta(days=days_ago)).date()
            rows.append(
                DailyMemberActivity(
                    guild_id=gid, user_id=person.user.id, day=day, messages=2, peer_given=1
                )
            )
            totals[day] = totals.get(day, 0) + 2
    rows += [DailyGuildActivity(guild_id=gid, day=d, member_messages=n) for d, n in totals.items()]
    async with db.session() as session:
        row = await session.get(GuildSettings, gid)
        assert row is not None
        row.joined_at = now - timedelta(days=60)
        session.add_all(rows)


@pytest.fixture
async def dashboard(database_url: str) -> AsyncIterator[Dashboard]:
    sb = Sandbox(validate_responses=True, bot_name="Foyer")
    await sb.start()
    town = build_town(sb)
    other = build_town(sb, "Autre Lieu", locale="en-US")
    db = Database.from_url(database_url)
    settings = GuildSettingsService(db, SystemClock())
    for place in (town, other):
        await settings.ensure(place.guild.id, place.guild.locale)
    await seed_weeks(db, town)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client_id, secret = sb.oauth_client(f"{url}/auth/callback")
    clock = Clock()
    app = create_app(
        db=db,
        base_url=url,
        client_id=client_id,
        client_secret=secret,
        session_key=SECRET,
        api_base=sb.api_base,
        authorize_url=sb.authorize_url,
        bot_token=sb.token,
        now=clock,
    )
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    env = Dashboard(sb, db, town, other, url, clock)
    try:
        yield env
    finally:
        for b in env.browsers:
            await b.close()
        await server.close()
        await db.close()
        await sb.stop()
    assert not sb.violations, "OpenAPI violations:\n" + "\n".join(map(str, sb.violations))


pytestmark = pytest.mark.e2e


async def get(browser: aiohttp.ClientSession, url: str, **kw: object) -> tuple[int, str, URL]:
    async with browser.get(url, **kw) as resp:  # type: ignore[arg-type]
        return resp.status, await resp.text(), resp.url


async def test_healthz(dashboard: Dashboard) -> None:
    status, body, _ = await get(dashboard.browser(), f"{dashboard.url}/healthz")
    assert (status, body) == (200, "ok\n")


async def test_admin_logs_in_reads_switches_downloads_and_logs_out(dashboard: Dashboard) -> None:
    d = dashboard
    browser = await d.logged_in(d.town.admin)
    status, home, _ = await get(browser, f"{d.url}/")
    assert status == 200 and d.town.guild.name in home
    assert d.other.guild.name not in home  # camille does not manage the other guild
    page_url = f"{d.url}/guilds/{d.town.guild.id}"
    status, page, _ = await get(browser, page_url)
    assert status == 200
    assert t("health.family.participation", "fr") in page  # the guild's language
    assert t("health.figure.participation.active_members.definition", "fr") in page
    assert "<svg" in page and "<script" not in page
    status, english, _ = await get(browser, page_url + "?lang=en")
    assert t("health.family.participation", "en") in english
    status, csv, _ = await get(browser, f"{page_url}/report.csv?period=28")
    report = await build_report(d.db, d.town.guild.id, 28, SystemClock().now())
    assert status == 200 and csv == as_csv(report)
    async with browser.post(f"{d.url}/logout") as resp:
        assert resp.status == 200
    d.sb.oauth_login_as(None)  # nobody would approve a new login at Discord now
    async with browser.get(page_url, allow_redirects=False) as resp:
        assert resp.status == 302 and resp.headers["Location"] == "/login"
        assert t("health.family.participation", "fr") not in await resp.text()


async def test_a_member_without_access_sees_nothing_of_the_guild(dashboard: Dashboard) -> None:
    d = dashboard
    browser = await d.logged_in(d.town.members[0])
    _, home, _ = await get(browser, f"{d.url}/")
    assert d.town.guild.name not in home and t("web.no_guilds", "en") in home
    for path in ("", "/report.csv", "/report.json"):
        async with browser.get(f"{d.url}/guilds/{d.town.guild.id}{path}") as resp:
            body = await resp.text()
            assert resp.status == 404 and d.town.guild.name not in body and "week" not in body
            assert resp.headers["Cache-Control"] == "no-store"
            assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


async def test_another_guild_by_id_is_the_same_404_as_none(dashboard: Dashboard) -> None:
    d = dashboard
    browser = await d.logged_in(d.town.admin)
    s1, other, _ = await get(browser, f"{d.url}/guilds/{d.other.guild.id}/report.json")
    s2, _, _ = await get(browser, f"{d.url}/guilds/123456789012345678")
    assert s1 == s2 == 404 and d.other.guild.name not in other


async def test_a_manager_role_opens_the_dashboard(dashboard: Dashboard) -> None:
    d = dashboard
    member = d.town.members[1]
    cm = d.sb.create_role(d.town.guild, "Community team")
    await d.sb.add_role(d.town.guild, member, cm)
    await TeamAccess(d.db).set_manager_roles(d.town.guild.id, [cm.id])
    browser = await d.logged_in(member)
    status, page, _ = await get(browser, f"{d.url}/guilds/{d.town.guild.id}")
    assert status == 200 and d.town.guild.name in page


async def test_the_session_cookie_is_httponly_lax_and_expires(dashboard: Dashboard) -> None:
    d = dashboard
    browser = d.browser()
    d.sb.oauth_login_as(d.town.admin)
    async with browser.get(f"{d.url}/login", allow_redirects=False) as resp:
        authorize = resp.headers["Location"]
    async with browser.get(authorize, allow_redirects=False) as resp:
        callback = resp.headers["Location"]
    async with browser.get(callback, allow_redirects=False) as resp:
        cookie = next(v for v in resp.headers.getall("Set-Cookie") if SESSION_COOKIE in v)
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "max-age=43200" in flags
    assert "secure" not in flags  # http here; WEB_BASE_URL on https adds it


async def test_a_forged_state_is_refused(dashboard: Dashboard) -> None:
    d = dashboard
    browser = d.browser()
    status, body, _ = await get(browser, f"{d.url}/auth/callback?state=forged&code=abc")
    assert status == 400 and t("web.login_failed", "en") in body
    assert not [c for c in browser.cookie_jar if c.key == SESSION_COOKIE]


async def test_a_replayed_state_and_a_reused_code_are_refused(dashboard: Dashboard) -> None:
    d = dashboard
    browser = d.browser()
    d.sb.oauth_login_as(d.town.admin)
    async with browser.get(f"{d.url}/login", allow_redirects=False) as resp:
        authorize = resp.headers["Location"]
    async with browser.get(authorize, allow_redirects=False) as resp:
        callback = resp.headers["Location"]
    async with browser.get(callback, allow_redirects=False) as resp:
        assert resp.status == 302 and resp.headers["Location"] == "/"
    status, _, _ = await get(browser, callback)  # the same state again
    assert status == 400
    # A fresh state with the old code: Discord refuses the code (used once).
    code = parse_qs(urlparse(callback).query)["code"][0]
    async with browser.get(f"{d.url}/login", allow_redirects=False) as resp:
        state = parse_qs(urlparse(resp.headers["Location"]).query)["state"][0]
    status, body, _ = await get(browser, f"{d.url}/auth/callback?state={state}&code={code}")
    assert status == 400 and t("web.login_failed", "en") in body


async def test_a_tampered_cookie_is_no_session(dashboard: Dashboard) -> None:
    d = dashboard
    browser = await d.logged_in(d.town.admin)
    cookie = next(c for c in browser.cookie_jar if c.key == SESSION_COOKIE)
    body, _, mac = cookie.value.rpartition(".")
    forged = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    d.browsers.append(forged)
    forged.cookie_jar.update_cookies({SESSION_COOKIE: f"{body}.{'0' * len(mac)}"}, URL(d.url))
    for path in (f"/guilds/{d.town.guild.id}", f"/guilds/{d.town.guild.id}/report.csv"):
        async with forged.get(f"{d.url}{path}", allow_redirects=False) as resp:
            assert resp.status == 302 and resp.headers["Location"] == "/login"
            assert d.town.guild.name not in await resp.text()
    _, home, _ = await get(forged, f"{d.url}/")
    assert t("web.login", "en") in home and d.town.guild.name not in home


async def test_an_expired_session_logs_out(dashboard: Dashboard) -> None:
    d = dashboard
    browser = await d.logged_in(d.town.admin)
    d.clock.now += 13 * 3600
    async with browser.get(f"{d.url}/guilds/{d.town.guild.id}", allow_redirects=False) as resp:
        assert resp.status == 302 and resp.headers["Location"] == "/login"


async def test_a_guild_the_person_left_is_refused_within_minutes(dashboard: Dashboard) -> None:
    d = dashboard
    browser = await d.logged_in(d.town.admin)
    status, _, _ = await get(browser, f"{d.url}/guilds/{d.town.guild.id}")
    assert status == 200
    await d.sb.leave(d.town.guild, d.town.admin)
    d.clock.now += 200  # past the access cache
    status, body, _ = await get(browser, f"{d.url}/guilds/{d.town.guild.id}")
    assert status == 404 and d.town.guild.name not in body


# -- in a real browser --------------------------------------------------------------------
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "images"


def chromium(download_dir: Path) -> Any:
    """Debian's headless chromium through its chromedriver; skipped with the reason when
    either is missing, except where FOYER_REQUIRE_BROWSER=1 (CI) makes that a failure."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip install -e '.[dev]')")
    if missing:
        reason = f"the browser tests need {', '.join(missing)}"
        reason += " (apt-get install chromium chromium-driver)"
        if os.environ.get("FOYER_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600"):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(download_dir), "download.prompt_for_download": False},
    )
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))


async def test_in_a_real_browser(dashboard: Dashboard, tmp_path: Path) -> None:
    """Log in through the sandbox's OAuth2, pick the guild, read the weekly figures (equal
    to `foyer report`'s), switch languages, download the CSV (equal to `foyer report
    --format csv`), log out. FOYER_SCREENSHOTS=1 saves the page in both languages to
    docs/images/."""
    from selenium.webdriver.common.by import By

    d = dashboard
    driver = await asyncio.to_thread(chromium, tmp_path)
    run = asyncio.to_thread

    def texts(css: str) -> list[str]:
        return [e.text for e in driver.find_elements(By.CSS_SELECTOR, css)]

    try:
        d.sb.oauth_login_as(d.town.admin)
        await run(driver.get, f"{d.url}/")
        await run(lambda: driver.find_element(By.ID, "login").click())
        assert urlparse(driver.current_url).path == "/"
        await run(lambda: driver.find_element(By.LINK_TEXT, d.town.guild.name).click())
        assert urlparse(driver.current_url).path == f"/guilds/{d.town.guild.id}"
        report = await build_report(d.db, d.town.guild.id, 28, SystemClock().now())
        expected = [str(r["active_members"]) for r in weekly_rows(report)]
        assert texts('td[data-series="active_members"]') == expected
        assert any(v != "0" for v in expected)
        assert t("health.family.participation", "fr") in texts("h2")
        if os.environ.get("FOYER_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(exist_ok=True)
            await run(driver.save_screenshot, str(SCREENSHOTS / "dashboard-fr.png"))
        await run(lambda: driver.find_element(By.ID, "switch-language").click())
        assert t("health.family.participation", "en") in texts("h2")
        if os.environ.get("FOYER_SCREENSHOTS") == "1":
            await run(driver.save_screenshot, str(SCREENSHOTS / "dashboard-en.png"))
        await run(lambda: driver.find_element(By.ID, "switch-language").click())
        assert t("health.family.participation", "fr") in texts("h2")
        await run(lambda: driver.find_element(By.ID, "download-csv").click())
        for _ in range(100):
            files = await run(lambda: list(tmp_path.glob("*.csv")))
            if files:
                break
            await asyncio.sleep(0.05)
        assert files and files[0].read_text(encoding="utf-8") == as_csv(report)
        d.sb.oauth_login_as(None)
        await run(lambda: driver.find_element(By.ID, "logout").click())
        assert driver.find_elements(By.ID, "login")
        await run(driver.get, f"{d.url}/guilds/{d.town.guild.id}")
        assert d.town.guild.name not in driver.page_source
    finally:
        await run(driver.quit)
