"""The gunicorn command that serve, the benchmarks and the fault tests share, and its worker hook."""

from __future__ import annotations

import gc

import pytest
from gunicorn.app.wsgiapp import WSGIApplication

from api.serving import APP, gunicorn_command, post_worker_init


def _gunicorn_reading(command: list[str], monkeypatch: pytest.MonkeyPatch) -> WSGIApplication:
    """Return gunicorn's application as it parses `command` (its config loaded, nothing started)."""
    monkeypatch.setattr("sys.argv", command[2:])  # what `python -m gunicorn` passes on
    return WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]")


def test_gunicorn_reads_the_worker_hook_from_the_command(monkeypatch):
    gunicorn = _gunicorn_reading(gunicorn_command("127.0.0.1:8000", 2), monkeypatch)

    assert gunicorn.cfg.post_worker_init is post_worker_init
    assert (gunicorn.cfg.bind, gunicorn.cfg.workers, gunicorn.cfg.worker_class_str) == (["127.0.0.1:8000"], 2, "sync")
    assert gunicorn.app_uri == APP


def test_the_access_log_goes_to_stdout_unless_left_out(monkeypatch):
    assert _gunicorn_reading(gunicorn_command("127.0.0.1:8000"), monkeypatch).cfg.accesslog == "-"
    assert _gunicorn_reading(gunicorn_command("127.0.0.1:8000", access_log=False), monkeypatch).cfg.accesslog is None


def _seen_by_the_collector(thing: object) -> bool:
    return any(tracked is thing for tracked in gc.get_objects())


def test_the_worker_hook_hides_what_is_loaded_from_the_cycle_collector():
    loaded = {"app": [object() for _ in range(100)]}
    assert _seen_by_the_collector(loaded)
    try:
        post_worker_init(worker=None)
        assert not _seen_by_the_collector(loaded)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
