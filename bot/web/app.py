"""The dashboard's aiohttp application: the routes, the login and logout, and the one
check every guild route passes (`_guild_or_404`). Pages are GETs that change nothing;
logout is a POST form (SameSite=Lax keeps another site from sending it)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import jinja2
from aiohttp import web

from bot.clock import SystemClock
from bot.db import Database
from bot.guilds import GuildSettingsService
from bot.i18n import language_for_locale, parse_language, t
from bot.metrics.reading import UnknownGuild
from bot.metrics.report import as_csv, as_json
from bot.metrics.summary import HealthReport, build_report
from bot.periods import DEFAULT_PERIOD, PERIOD_CHOICES
from bot.web.auth import SESSION_COOKIE, STATE_COOKIE, Session, Sessions
from bot.web.discord_api import DiscordApi, DiscordRefused
from bot.web.gate import Gate, GuildEntry
from bot.web.pages import guild_page

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
CALLBACK_PATH = "/auth/callback"


@dataclass
class Web:
    """What the handlers share."""

    db: Database
    discord: DiscordApi
    sessions: Sessions
    gate: Gate
    guild_settings: GuildSettingsService
    templates: jinja2.Environment
    secure: bool
    now: Callable[[], float]
    #: (guild, days) -> (when, report): a page, its CSV and its JSON within a minute share
    #: one computation; the figures move with the day, not with each click.
    reports: dict[tuple[int, int], tuple[float, HealthReport]]


WEB: web.AppKey[Web] = web.AppKey("foyer_web", Web)


def create_app(
    *,
    db: Database,
    base_url: str,
    client_id: int,
    client_secret: str,
    session_key: bytes,
    session_hours: int = 12,
    api_base: str,
    authorize_url: str,
    bot_token: str | None,
    now: Callable[[], float] = time.time,
) -> web.Application:
    """The dashboard. `now` is the clock sessions, states and the access cache read."""
    app = web.Application(middlewares=[_headers])
    http: dict[str, aiohttp.ClientSession] = {}

    async def open_http(app: web.Application) -> Any:
        http["s"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        app[WEB].discord._http = http["s"]
        yield
        await http["s"].close()

    discord = DiscordApi(
        api_base=api_base,
        authorize_url=authorize_url,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=base_url.rstrip("/") + CALLBACK_PATH,
        bot_token=bot_token,
        session=None,  # type: ignore[arg-type]  # opened with the app (open_http)
    )
    app[WEB] = Web(
        db=db,
        discord=discord,
        sessions=Sessions(session_key, session_hours * 3600.0, now),
        gate=Gate(db, discord, now),
        guild_settings=GuildSettingsService(db, SystemClock()),
        templates=jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        ),
        secure=base_url.startswith("https://"),
        now=now,
        reports={},
    )
    app.cleanup_ctx.append(open_http)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", home)
    app.router.add_get("/login", login)
    app.router.add_get(CALLBACK_PATH, callback)
    app.router.add_post("/logout", logout)
    app.router.add_get(r"/guilds/{guild_id:\d+}", guild)
    app.router.add_get(r"/guilds/{guild_id:\d+}/report.{fmt:csv|json}", report_file)
    app.router.add_static("/static", HERE / "static")
    return app


@web.middleware
async def _headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """No caching of a guild's data, no framing, no script from anywhere else; an error
    page instead of a 500 (logged), never a stack trace."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects and 404s: the same headers
        _secure_headers(exc.headers)
        raise
    except Exception:
        log.exception("dashboard error on %s", request.path)
        response = _page(request, "error.html", _lang(request), status=500)
    _secure_headers(response.headers)
    return response


def _secure_headers(headers: Any) -> None:
    headers.setdefault("Cache-Control", "no-store")
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def _lang(request: web.Request, fallback: str | None = None) -> str:
    """`?lang=` when given, else the guild's language, else the browser's."""
    chosen = parse_language(request.query.get("lang", ""))
    if chosen:
        return chosen
    if fallback:
        return fallback
    return language_for_locale(request.headers.get("Accept-Language", "")[:8])


def _page(
    request: web.Request, name: str, lang: str, status: int = 200, **context: Any
) -> web.Response:
    ctx = request.app[WEB]
    session = _session(request)
    html = ctx.templates.get_template(name).render(
        t=lambda key, **p: t(key, lang, **p),
        lang=lang,
        other="en" if lang == "fr" else "fr",
        path=request.path,
        query=dict(request.query),
        user=session.name if session else None,
        **context,
    )
    return web.Response(text=html, content_type="text/html", status=status)


def _session(request: web.Request) -> Session | None:
    return request.app[WEB].sessions.find(request.cookies.get(SESSION_COOKIE))


def _cookie(
    response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="Lax",
        secure=request.app[WEB].secure,
        path="/",
    )


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


async def home(request: web.Request) -> web.Response:
    session = _session(request)
    if session is None:
        return _page(request, "login.html", _lang(request))
    guilds = await _guilds(request, session)
    if guilds is None:
        raise web.HTTPFound("/login")
    return _page(
        request, "guilds.html", _lang(request), guilds=sorted(guilds.values(), key=lambda g: g.name)
    )


async def login(request: web.Request) -> web.Response:
    ctx = request.app[WEB]
    state, cookie = ctx.sessions.new_state()
    response = web.HTTPFound(ctx.discord.authorize_url(state))
    _cookie(response, request, STATE_COOKIE, cookie, 600)
    raise response


async def callback(request: web.Request) -> web.Response:
    """Back from Discord: the state must be this browser's, unused; then the code is
    traded once for a token, and a session opens."""
    ctx = request.app[WEB]
    lang = _lang(request)
    state, code = request.query.get("state", ""), request.query.get("code", "")
    if not ctx.sessions.take_state(state, request.cookies.get(STATE_COOKIE)) or not code:
        return _page(request, "error.html", lang, status=400, message=t("web.login_failed", lang))
    try:
        token = await ctx.discord.exchange(code)
        user_id, name = await ctx.discord.user(token)
    except (DiscordRefused, aiohttp.ClientError):
        return _page(request, "error.html", lang, status=400, message=t("web.login_failed", lang))
    _, cookie = ctx.sessions.open(user_id, name, token)
    response = web.HTTPFound("/")
    _cookie(response, request, SESSION_COOKIE, cookie, int(ctx.sessions.lifetime))
    response.del_cookie(STATE_COOKIE, path="/")
    raise response


async def logout(request: web.Request) -> web.Response:
    session = _session(request)
    if session is not None:
        request.app[WEB].gate.forget(session)
        request.app[WEB].sessions.close(session)
    response = web.HTTPFound("/")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def _guilds(request: web.Request, session: Session) -> dict[int, GuildEntry] | None:
    """The guilds this session may see; None when Discord no longer accepts its token."""
    try:
        return await request.app[WEB].gate.guilds(session)
    except DiscordRefused:
        request.app[WEB].sessions.close(session)
        return None


async def _guild_or_404(request: web.Request) -> tuple[GuildEntry, str]:
    """The guild of the path and its language, if this person may see it. Not logged in:
    to the login. Logged in without access, or no such guild: the same 404, so a guild's
    existence leaks no more than its data."""
    session = _session(request)
    if session is None:
        raise web.HTTPFound("/login")
    guilds = await _guilds(request, session)
    if guilds is None:
        raise web.HTTPFound("/login")
    entry = guilds.get(int(request.match_info["guild_id"]))
    if entry is None:
        lang = _lang(request)
        raise _not_found(request, lang)
    lang = _lang(request, await request.app[WEB].guild_settings.language(entry.id))
    return entry, lang


def _not_found(request: web.Request, lang: str) -> web.HTTPNotFound:
    page = _page(request, "error.html", lang, status=404, message=t("web.not_found", lang))
    return web.HTTPNotFound(text=page.text, content_type="text/html")


def _days(request: web.Request) -> int:
    return (
        PERIOD_CHOICES.get(f"{request.query.get('period', '')}d") or PERIOD_CHOICES[DEFAULT_PERIOD]
    )


REPORT_TTL = 60.0
REPORTS_KEPT = 64


async def _report(request: web.Request, entry: GuildEntry, lang: str) -> HealthReport:
    """`build_report`, as `/health` and `foyer report` call it, kept a minute per guild
    and period (at most 64 kept: memory stays flat however many guilds are browsed)."""
    ctx = request.app[WEB]
    key = (entry.id, _days(request))
    cached = ctx.reports.get(key)
    if cached is not None and ctx.now() - cached[0] < REPORT_TTL:
        return cached[1]
    try:
        report = await build_report(ctx.db, entry.id, key[1], SystemClock().now())
    except UnknownGuild:
        raise _not_found(request, lang) from None
    if len(ctx.reports) >= REPORTS_KEPT:
        del ctx.reports[min(ctx.reports, key=lambda k: ctx.reports[k][0])]
    ctx.reports[key] = (ctx.now(), report)
    return report


async def guild(request: web.Request) -> web.Response:
    entry, lang = await _guild_or_404(request)
    report = await _report(request, entry, lang)
    return _page(
        request,
        "guild.html",
        lang,
        guild=entry,
        days=report.period.days,
        periods=[7, 28, 90],
        **guild_page(report, lang),
    )


async def report_file(request: web.Request) -> web.Response:
    """`foyer report`'s CSV or JSON, the very functions it prints with."""
    entry, lang = await _guild_or_404(request)
    report = await _report(request, entry, lang)
    fmt = request.match_info["fmt"]
    body = as_csv(report) if fmt == "csv" else as_json(report)
    filename = f"foyer-{entry.id}-{report.period.days}d.{fmt}"
    return web.Response(
        text=body,
        content_type="text/csv" if fmt == "csv" else "application/json",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
