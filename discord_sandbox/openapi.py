"""Validate every REST response against Discord's official OpenAPI schema.

The 1.2 MB spec is loaded once per process; one compiled validator is cached per
(route, method, status). Known, justified differences between the schema and what Discord
really sends live in ``openapi_deviations.py`` and are not reported.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .openapi_deviations import is_accepted

SPEC_URI = "urn:discord-openapi"
#: Discord's OpenAPI description, in the reference folder beside a checkout of this project.
DEFAULT_SPEC = (
    Path(__file__).resolve().parents[2] / "shared/reference/discord-api-spec/openapi.json"
)


def spec_path() -> Path:
    """Return the OpenAPI file: ``DISCORD_SANDBOX_OPENAPI`` or the shared reference copy."""
    import os

    return Path(os.environ.get("DISCORD_SANDBOX_OPENAPI", str(DEFAULT_SPEC)))


@functools.cache
def _load(path: str) -> tuple[dict[str, Any], Registry[Any]]:
    spec = json.loads(Path(path).read_text())
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    return spec, Registry().with_resource(SPEC_URI, resource)


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@functools.cache
def _compiled(path: str, route: str, method: str, status: int) -> Draft202012Validator | None:
    """Compile (once per process) the validator of one documented response."""
    spec, registry = _load(path)
    op = spec["paths"].get(route, {}).get(method.lower())
    if op is None:
        raise KeyError(f"{method} {route} is not in the OpenAPI document")
    responses = op.get("responses", {})
    key = next((k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None)
    if key is None:
        raise KeyError(f"{method} {route} documents no {status} response")
    pointer = ["paths", route, method.lower(), "responses", key]
    response = responses[key]
    if "$ref" in response:  # shared responses: #/components/responses/...
        pointer = response["$ref"].lstrip("#/").split("/")
        response = spec
        for part in pointer:
            response = response[part]
    content = response.get("content", {}).get("application/json")
    if content is None or "schema" not in content:
        return None
    ref = SPEC_URI + "#/" + _pointer(*pointer, "content", "application/json", "schema")
    return Draft202012Validator({"$ref": ref}, registry=registry)


def _deepest(error: ValidationError) -> ValidationError:
    """Return the most specific cause of a oneOf/anyOf failure, for a readable report."""
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


@dataclass(frozen=True)
class Violation:
    """One response that does not match the schema."""

    method: str
    route: str
    status: int
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.method} {self.route} -> {self.status}: at {self.where}: {self.message}"


class ResponseValidator:
    """Check responses, collecting violations instead of raising (tests assert on them)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = str(path or spec_path())
        self.violations: list[Violation] = []
        self.checked = 0

    def _validator(self, route: str, method: str, status: int) -> Draft202012Validator | None:
        return _compiled(self.path, route, method, status)

    def check(self, method: str, route: str, status: int, body: Any) -> None:
        """Validate one response body; record any violation."""
        self.checked += 1
        try:
            validator = self._validator(route, method, status)
        except KeyError as exc:
            self._add(Violation(method, route, status, "(route)", str(exc)))
            return
        if validator is None:
            if body not in (None, b"", ""):
                self._add(Violation(method, route, status, "(body)", "no body is documented"))
            return
        for error in validator.iter_errors(body):
            deepest = _deepest(error)
            where = "/".join(str(p) for p in deepest.absolute_path) or "(root)"
            self._add(Violation(method, route, status, where, deepest.message[:300]))

    def _add(self, violation: Violation) -> None:
        if not is_accepted(
            violation.method, violation.route, violation.status, violation.where, violation.message
        ):
            self.violations.append(violation)
