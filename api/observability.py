"""Structured JSON logs and Prometheus metrics, with no secret ever written.

Each request is logged once as JSON: method, route, status, duration and the
acting party's id. Tokens, keys, signatures and bodies are never logged.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess

REQUESTS = Counter("scrapledger_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram("scrapledger_request_seconds", "HTTP request latency", ["method", "route"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
log = logging.getLogger("scrapledger.requests")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                                   "logger": record.name, "message": record.getMessage()}
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["error"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_logging() -> None:
    """Send scrapledger's logs to stderr as JSON lines (once per process)."""
    root = logging.getLogger("scrapledger")
    if not any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(os.environ.get("SCRAPLEDGER_LOG_LEVEL", "INFO"))


def register(app: Flask) -> None:
    """Time and log every request, and serve /metrics."""
    configure_logging()

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        LATENCY.labels(request.method, route).observe(elapsed)
        if route != "/metrics":
            log.info("request", extra={"fields": {"method": request.method, "route": route,
                                                  "status": response.status_code, "ms": round(elapsed * 1000, 2),
                                                  "party": g.get("party")}})
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
