"""The scoring service: FastAPI on uvicorn (extra ``[serve]``).

Every failure answers in one JSON shape, ``{"ok": false, "error": ..., "status": ...}``, and no
input can stop the service: bodies are size-checked before they are read, customers are validated
field by field, and anything unexpected becomes a 500 answer, not a crash.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import MissingExtraError

try:
    import numpy as np
    import pandas as pd
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, Field
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
except ImportError as exc:  # pragma: no cover - exercised by test_serve_without_extra
    raise MissingExtraError("custseg serve", "serve") from exc

from .model import SegmentModel

MAX_CUSTOMERS = 10_000          # per request; larger batches belong to `custseg score`
MAX_BODY_BYTES = 8 * 1024 * 1024  # about 10,000 customers with a dozen fields
MAX_ERRORS = 20                 # detail lines returned for one bad request


def failure(status: int, error: str, details: list[str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error": error, "status": status}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status)


class BodyLimit:
    """ASGI middleware: 413 for bodies over ``limit`` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = failure(413, f"request body over {self.limit:,} bytes; send at most "
                               f"{MAX_CUSTOMERS:,} customers per request")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await too_big(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await too_big(scope, receive, send)


class _TooLarge(Exception):
    pass


class ScoreRequest(BaseModel):
    customers: list[dict[str, Any]] = Field(
        description=f"Customers to score, at most {MAX_CUSTOMERS:,}: each an object with every "
                    "feature of the model (numbers for numeric features, text for categorical "
                    "ones) and optionally the id column.")


class ScoredCustomer(BaseModel):
    id: Any = Field(description="The customer's id, or its index in the request without one.")
    segment: int
    segment_name: str
    distance: float = Field(description="Distance to the segment centre (prepared units).")


class ScoreResponse(BaseModel):
    ok: bool
    results: list[ScoredCustomer]
    warnings: list[str] = []


def _check_customers(customers: list[dict[str, Any]], numeric: list[str], categorical: list[str],
                     id_column: str) -> list[str]:
    """Every problem, as 'customers[i].field: what is wrong' lines."""
    allowed = set(numeric) | set(categorical) | {id_column}
    errors: list[str] = []
    for index, customer in enumerate(customers):
        where = f"customers[{index}]"
        for field in customer.keys() - allowed:
            errors.append(f"{where}: unknown field '{field}'; allowed: "
                          f"{', '.join(sorted(allowed))}")
        for field in numeric:
            if field not in customer:
                errors.append(f"{where}: missing field '{field}'")
                continue
            value = customer[field]
            if isinstance(value, bool) or not isinstance(value, int | float):
                errors.append(f"{where}.{field}: must be a number, got {value!r}")
            elif not math.isfinite(value):
                errors.append(f"{where}.{field}: must be a finite number, got {value!r}")
        for field in categorical:
            if field not in customer:
                errors.append(f"{where}: missing field '{field}'")
            elif not isinstance(customer[field], str):
                errors.append(f"{where}.{field}: must be text, got {customer[field]!r}")
        if len(errors) >= MAX_ERRORS:
            break
    return errors[:MAX_ERRORS]


def create_app(model: SegmentModel) -> FastAPI:
    """The service for one loaded model."""
    from ._version import __version__

    specs = model.preparer_.specs
    numeric = [s.name for s in specs if s.kind == "numeric"]
    categorical = [s.name for s in specs if s.kind == "categorical"]
    id_column = getattr(model, "id_column_", None) or "id"
    names = np.asarray(model.segment_names_, dtype=object)
    model_file = getattr(model, "model_file_", {})
    described = {key: model_file.get(key) for key in
                 ("format", "version", "custseg_version", "created", "id_column", "features",
                  "segments", "training")}

    app = FastAPI(title="custseg scoring service", version=__version__,
                  description="Assign customers to the segments of a custseg model.")
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return failure(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = []
        for error in exc.errors()[:MAX_ERRORS]:
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
            details.append(f"{where}: {error.get('msg', 'invalid')}")
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return failure(422, "request body is not valid JSON; send "
                                '{"customers": [{...}, ...]}', details)
        return failure(422, details[0] if details else "invalid request", details)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return failure(500, f"internal error ({type(exc).__name__}); the service keeps running")

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "status": "healthy"}

    @app.get("/v1/model")
    def describe() -> dict[str, Any]:
        return {"ok": True, "model": described}

    request_schema = ScoreRequest.model_json_schema()

    @app.post("/v1/score", response_model=ScoreResponse,
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": request_schema}}}},
              responses={413: {"description": "Too many customers or too large a body"},
                         422: {"description": "Invalid JSON, or a missing, extra or invalid "
                                               "field (named with the customer index)"}})
    async def score(request: Request) -> Any:
        # The body is parsed here, whatever the Content-Type (curl -d sends form encoding).
        raw = await request.body()
        try:
            payload = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return failure(422, f"request body is not valid JSON ({exc}); send "
                                '{"customers": [{...}, ...]}')
        if not isinstance(payload, dict) or not isinstance(payload.get("customers"), list):
            return failure(422, 'request body must be {"customers": [{...}, ...]}')
        extra = sorted(set(payload) - {"customers"})
        if extra:
            return failure(422, f"unknown top-level field(s) {', '.join(extra)}; send only "
                                '"customers"')
        customers = payload["customers"]
        if not all(isinstance(c, dict) for c in customers):
            bad = next(i for i, c in enumerate(customers) if not isinstance(c, dict))
            return failure(422, f"customers[{bad}]: must be an object of field: value")
        if len(customers) > MAX_CUSTOMERS:
            return failure(413, f"{len(customers):,} customers in one request; send at most "
                                f"{MAX_CUSTOMERS:,}")
        if not customers:
            return {"ok": True, "results": [], "warnings": []}
        errors = _check_customers(customers, numeric, categorical, id_column)
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            return failure(422, errors[0] + more, errors)
        frame = pd.DataFrame.from_records(customers)
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            labels, distances = model.assign_frame(frame)
        ids = (frame[id_column].tolist() if id_column in frame.columns
               else list(range(len(frame))))
        segment_names = names[labels]
        results = [{"id": i, "segment": int(s), "segment_name": n, "distance": round(float(d), 6)}
                   for i, s, n, d in zip(ids, labels, segment_names, distances, strict=True)]
        # A plain JSONResponse: validating 10,000 results against the response model would cost
        # more than the scoring; the model still documents the shape in /docs.
        return JSONResponse({"ok": True, "results": results,
                             "warnings": [str(w.message) for w in caught]})

    return app
