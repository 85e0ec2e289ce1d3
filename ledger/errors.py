"""The one exception tree of the domain core.

Every error states a fact and carries the structured fields the API needs to
explain it; `api/problems.py` maps each class to an HTTP status in one table.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base of every error the domain core raises on purpose."""

    title = "ledger error"

    def __init__(self, detail: str, **fields: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields


class InvalidInput(LedgerError):
    """A value breaks a rule of the format or the domain (field and rule named)."""

    title = "invalid input"

    def __init__(self, field: str, rule: str, detail: str | None = None) -> None:
        super().__init__(detail or f"{field}: {rule}", field=field, rule=rule)
        self.field = field
        self.rule = rule


class NotCanonical(InvalidInput):
    """A JSON value cannot be put in RFC 8785 canonical form (float, huge int, NaN...)."""


class BadSignature(LedgerError):
    """A signature does not verify under the key it names."""

    title = "bad signature"


class UnknownKey(LedgerError):
    """The named key is not (or no longer) an active key of the party."""

    title = "unknown or inactive key"


class PartyNotFound(LedgerError):
    """No party has this id."""

    title = "party not found"


class EntryNotFound(LedgerError):
    """No entry has this index."""

    title = "entry not found"


class NotAuthenticated(LedgerError):
    """The request carries no valid API token."""

    title = "not authenticated"


class NotAuthorised(LedgerError):
    """The acting party may not perform this operation."""

    title = "not authorised"


class SubmissionConflict(LedgerError):
    """A submission id was reused with a different submission."""

    title = "submission id already used"


class NotTried(LedgerError):
    """A batch item was left out because too many before it were refused; sending it again may succeed."""

    title = "not tried"


class StaleTimestamp(LedgerError):
    """A client timestamp lies outside the accepted window around server time."""

    title = "timestamp outside window"


class Conflict(LedgerError):
    """The request conflicts with the current state of the ledger."""

    title = "conflict"


class LotNotFound(LedgerError):
    """No lot has this id, or the caller may not know that it exists."""

    title = "lot not found"


class TransferNotFound(LedgerError):
    """No custody transfer has this id (for this caller)."""

    title = "transfer not found"


class NotHolder(LedgerError):
    """The acting party does not hold the lot."""

    title = "not the holder"


class LotConsumed(Conflict):
    """The lot was already consumed by a transformation."""

    title = "lot consumed"


class LotInTransit(Conflict):
    """The lot is on its way to another party and cannot be used until received or rejected."""

    title = "lot in transit"


class TransferClosed(Conflict):
    """The transfer was already received or rejected."""

    title = "transfer closed"


class MassImbalance(LedgerError):
    """A transformation's outputs and losses weigh more than its inputs and additions."""

    title = "mass imbalance"

    def __init__(self, detail: str, input_g: int, output_g: int) -> None:
        super().__init__(detail, input_g=input_g, output_g=output_g, field="body.outputs", rule="mass-balance")
        self.input_g = input_g
        self.output_g = output_g


class DeclarationNotFound(LedgerError):
    """No declaration has this id (for this caller)."""

    title = "declaration not found"


class DeclarationWithdrawn(Conflict):
    """The declaration was already withdrawn."""

    title = "declaration withdrawn"


class AccountNotFound(LedgerError):
    """No mass-balance account has this id (for this caller)."""

    title = "account not found"


class ClaimRefused(Conflict):
    """A mass-balance rule refuses the entry: an overdrawn account, a closed period, a lot beyond its mass..."""

    title = "claim refused"

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}", field=field, rule=rule)


class ProofError(LedgerError):
    """A Merkle proof or its parameters are malformed."""

    title = "malformed proof"


class RootMismatch(ProofError):
    """A proof computes a root other than the one it must match."""

    title = "root mismatch"

    def __init__(self, detail: str, got: bytes, want: bytes) -> None:
        super().__init__(detail, got=got.hex(), want=want.hex())
        self.got = got
        self.want = want


class MalformedCheckpoint(LedgerError):
    """A checkpoint or signed note cannot be parsed or its signature is missing or wrong."""

    title = "malformed checkpoint"


class ChainBroken(LedgerError):
    """Full verification found the first entry that breaks the log."""

    title = "chain broken"

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"entry {index}: {reason}", index=index, reason=reason)
        self.index = index
        self.reason = reason


class StoreUnavailable(LedgerError):
    """The database cannot be reached right now."""

    title = "database unavailable"
