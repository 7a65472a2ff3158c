"""The aiohttp application: REST routes under ``/api/v10`` and the ``/gateway`` websocket.

One middleware does what Discord's edge does for every REST call: authentication, the
call log, injected faults, error bodies, rate-limit headers, and (in tests) validation
of the answer against the OpenAPI schema.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web

from .core import Call, Core
from .limits import FormError
from .openapi import ResponseValidator
from .rest import channels, guilds, interactions, meta, oauth2
from .rest.common import CORE, PAYLOAD, UPLOADS, ApiError, json_response

API_PREFIX = "/api/v10"
NO_AUTH = ("/interactions/", "/webhooks/")
#: What a Bearer token (OAuth2, scopes identify and guilds) may call, and who answers it.
BEARER = {"/users/@me": oauth2.me, "/users/@me/guilds": oauth2.my_guilds}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RATE_HEADERS: web.RequestKey[dict[str, str]] = web.RequestKey("sandbox_rate_headers", dict)


def _bucket(route: str) -> str:
    return hashlib.sha1(route.encode()).hexdigest()[:16]


def rate_limit_headers(route: str) -> dict[str, str]:
    """Return the X-RateLimit-* headers; generous so the client never stalls on its own."""
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 0.05:.3f}",
        "X-RateLimit-Reset-After": "0.050",
        "X-RateLimit-Bucket": _bucket(route),
    }


async def _read_body(request: web.Request, call: Call) -> None:
    ctype = request.headers.get("Content-Type", "")
    if ctype.startswith("multipart/"):
        uploads: list[tuple[int, str, str, bytes]] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            data = await part.read()
            if name == "payload_json":
                call.json = json.loads(data)
            elif name.startswith("files["):
                index = int(name[6:-1])
                filename = part.filename or f"file{index}"
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                uploads.append((index, filename, content_type, bytes(data)))
                call.files[filename] = bytes(data)
        request[UPLOADS] = uploads
    elif request.can_read_body:
        raw = await request.read()
        if raw:
            call.json = json.loads(raw)
    request[PAYLOAD] = call.json


def _rate_limited(retry_after: float, is_global: bool) -> web.Response:
    """Answer 429 as Discord's edge does (discord.py retries only when ``Via`` is set)."""
    body = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": is_global,
        "code": 0,
    }
    resp = json_response(body, status=429)
    resp.headers["Via"] = "1.1 google"
    resp.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
    return resp


def build_app(core: Core, *, validator: ResponseValidator | None) -> web.Application:
    """Build the sandbox's aiohttp application."""

    @web.middleware
    async def edge(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        info = request.match_info
        resource = info.route.resource
        route = resource.canonical[len(API_PREFIX) :] if resource is not None else "(unknown)"
        call = Call(request.method, route, request.path[len(API_PREFIX) :], dict(request.query))
        core.calls.append(call)
        core.in_flight += 1
        try:
            response = await _answer(request, handler, call, route)
        finally:
            core.in_flight -= 1
            core.touch()
        call.status = response.status
        if isinstance(response, web.Response) and response.body:
            call.response = json.loads(response.body)  # type: ignore[arg-type]
        headers = request.get(RATE_HEADERS) or rate_limit_headers(route)
        for key, value in headers.items():
            response.headers.setdefault(key, value)
        if validator is not None and resource is not None and response.status < 500:
            validator.check(request.method, route, response.status, call.response)
        async with core.call_done:
            core.call_done.notify_all()
        return response

    async def _answer(
        request: web.Request, handler: Handler, call: Call, route: str
    ) -> web.StreamResponse:
        if route == "(unknown)":
            return json_response({"message": "404: Not Found", "code": 0}, status=404)
        bearer = request.headers.get("Authorization", "").startswith("Bearer ")
        if route == "/oauth2/token" or (bearer and route in oauth2.BEARER_ROUTES):
            # The client's secret is in the form; a Bearer token is checked by its route.
            return await (oauth2.token if route == "/oauth2/token" else BEARER[route])(request)
        if (
            not call.path.startswith(NO_AUTH)
            and request.headers.get("Authorization") != f"Bot {core.token}"
        ):
            return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        fault = core.faults.take(request.method, route, call.path)
        if fault is not None and fault.after:
            await _carry_out(request, handler, call)
        if fault is not None:
            headers = {"Via": "1.1 google"} if fault.status == 429 else {}
            if fault.status == 429:
                headers["X-RateLimit-Scope"] = "global" if fault.is_global else "user"
                headers["Retry-After"] = str(max(1, int(fault.retry_after)))
            resp = json_response(fault.response_body(), status=fault.status)
            resp.headers.update(headers)
            return resp
        if core.rate_limiter is not None:
            verdict = core.rate_limiter.check(
                request.method, route, call.path, dict(request.match_info)
            )
            request[RATE_HEADERS] = verdict.headers
            if verdict.refused:
                return _rate_limited(verdict.retry_after, verdict.is_global)
        try:
            await _read_body(request, call)
            return await handler(request)
        except ApiError as err:
            return json_response({"message": err.message, "code": err.code}, status=err.status)
        except FormError as err:
            form = {"message": "Invalid Form Body", "code": 50035, "errors": err.errors}
            return json_response(form, status=400)
        except (ValueError, KeyError, TypeError) as err:
            body: dict[str, Any] = {
                "message": "Invalid Form Body",
                "code": 50035,
                "errors": {"_errors": [{"code": "BASE_TYPE_INVALID", "message": str(err)[:200]}]},
            }
            return json_response(body, status=400)

    async def _carry_out(request: web.Request, handler: Handler, call: Call) -> None:
        """Do what the call asks, for a fault that answers an error after the work."""
        try:
            await _read_body(request, call)
            await handler(request)
        except (ApiError, ValueError, KeyError, TypeError):
            pass  # the fault's error is the answer either way

    app = web.Application(middlewares=[edge], client_max_size=64 * 1024 * 1024)
    app[CORE] = core
    for module in (meta, channels, guilds, interactions):
        for method, path, fn in module.ROUTES:
            app.router.add_route(method, API_PREFIX + path, fn)
    for method, path, fn in oauth2.API_ROUTES:
        app.router.add_route(method, API_PREFIX + path, fn)
    app.router.add_route("GET", API_PREFIX + "/users/@me/guilds", oauth2.my_guilds)
    for method, path, fn in oauth2.PAGE_ROUTES:
        app.router.add_route(method, path, fn)
    app.router.add_get("/gateway", core.hub.handle)
    return app
