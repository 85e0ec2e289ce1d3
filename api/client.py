"""A small client for recyclers, smelters and auditors: signs submissions and retries safely.

It needs no Flask app: any `Transport` will do (HTTP through `requests` by
default; the tests pass Flask's test client). A retry reuses the submission id
and the signed bytes, so the server appends at most one entry. A 429 is waited
out for as long as its Retry-After says (at most a minute), so a long import
slows down to the token's rate limit instead of stopping at it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.entries import SignedSubmission, format_time, sign_submission
from ledger.signing import Signer


MAX_WAIT = 60.0  # seconds: the longest Retry-After of a rate limit per minute


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any
    text: str
    retry_after: float | None = None  # seconds, from the Retry-After header


def retry_after(value: str | None) -> float | None:
    """Return the seconds a Retry-After header of delta-seconds asks for (None: none, or an HTTP date)."""
    return float(value) if value is not None and value.isdigit() else None


Transport = Callable[[str, str, dict[str, Any] | bytes | None, dict[str, str]], Reply]  # bytes: JSON, encoded


class ClientError(Exception):
    """The server answered with a problem; `problem` holds its body."""

    def __init__(self, reply: Reply) -> None:
        problem = reply.body if isinstance(reply.body, dict) else {"detail": reply.text}
        super().__init__(f"{reply.status} {problem.get('title', '')}: {problem.get('detail', '')}")
        self.status = reply.status
        self.problem = problem


def http_transport(base_url: str, timeout: float = 30.0) -> Transport:
    """Return a transport speaking HTTP to `base_url` over a keep-alive session."""
    import requests

    session = requests.Session()

    def send(method: str, path: str, json_body: dict[str, Any] | bytes | None, headers: dict[str, str]) -> Reply:
        if isinstance(json_body, bytes):
            response = session.request(method, base_url.rstrip("/") + path, data=json_body, timeout=timeout,
                                       headers={**headers, "Content-Type": "application/json"})
        else:
            response = session.request(method, base_url.rstrip("/") + path, json=json_body, headers=headers,
                                       timeout=timeout)
        is_json = "json" in response.headers.get("Content-Type", "")
        return Reply(response.status_code, response.json() if is_json else None, response.text,
                     retry_after(response.headers.get("Retry-After")))

    return send


class LedgerClient:
    """Acts as one party: `token` authenticates, `signer` signs, `origin` names the log."""

    def __init__(self, transport: Transport, *, party_id: str, token: str, signer: Signer, origin: str,
                 retries: int = 3, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 wait: Callable[[float], None] = time.sleep) -> None:
        self.transport = transport
        self.party_id = party_id
        self.token = token
        self.signer = signer
        self.origin = origin
        self.retries = retries
        self.clock = clock
        self.wait = wait  # how the client sleeps before a retry (a CLI may say so first)

    def sign(self, entry_type: str, body: dict[str, Any], submission_id: str | None = None,
             timestamp: str | None = None) -> SignedSubmission:
        """Return one entry's submission signed by this party (now, unless `timestamp` is given)."""
        submission = {
            "log": self.origin, "party": self.party_id, "key_id": self.signer.key_id,
            "submission_id": submission_id or str(uuid.uuid4()), "timestamp": timestamp or format_time(self.clock()),
            "type": entry_type, "body": body,
        }
        return sign_submission(submission, self.signer)

    def signed(self, entry_type: str, body: dict[str, Any], submission_id: str | None = None,
               timestamp: str | None = None) -> dict[str, Any]:
        """Return the signed envelope {submission, signature} for one entry."""
        signed = self.sign(entry_type, body, submission_id, timestamp)
        return {"submission": signed.submission, "signature": signed.signature.hex()}

    def submit(self, path: str, entry_type: str, body: dict[str, Any], submission_id: str | None = None) -> Any:
        """Sign and post one submission, retrying transport failures and 503s with the same bytes."""
        return self.post(path, self.signed(entry_type, body, submission_id))

    def post(self, path: str, payload: dict[str, Any] | bytes) -> Any:
        """Post a JSON payload (or its encoded bytes), retrying safely; raise ClientError on a problem answer."""
        for attempt in range(self.retries + 1):
            try:
                reply = self.transport("POST", path, payload, self._headers())
            except OSError:
                if attempt == self.retries:
                    raise
                self.wait(0.2 * 2**attempt)
                continue
            if reply.status == 503 and attempt < self.retries:
                self.wait(0.2 * 2**attempt)
                continue
            if self._waited_out(reply, attempt):
                continue
            return self._answer(reply)
        raise AssertionError("unreachable")

    def get(self, path: str) -> Any:
        """Return the JSON (or text) answer to a GET, waiting out rate limits; raise ClientError on a problem."""
        for attempt in range(self.retries + 1):
            reply = self.transport("GET", path, None, self._headers())
            if not self._waited_out(reply, attempt):
                return self._answer(reply)
        raise AssertionError("unreachable")

    def _waited_out(self, reply: Reply, attempt: int) -> bool:
        """Return whether `reply` was a rate limit the client waited out, to ask again."""
        if reply.status != 429 or reply.retry_after is None or attempt == self.retries:
            return False
        self.wait(min(reply.retry_after, MAX_WAIT))
        return True

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @staticmethod
    def _answer(reply: Reply) -> Any:
        if reply.status >= 400:
            raise ClientError(reply)
        return reply.body if reply.body is not None else reply.text
