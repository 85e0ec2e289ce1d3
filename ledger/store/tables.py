"""The database tables: the append-only log tables and the projections rebuilt from them.

`entries`, `tree_nodes` and `checkpoints` are append-only (database triggers
refuse UPDATE and DELETE). Every other table is a projection of the log, except
`api_tokens` and `meta`, which hold credentials and deployment identity.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Integer, LargeBinary, String, Text
from sqlmodel import Field, SQLModel


class EntryRow(SQLModel, table=True):
    __tablename__ = "entries"
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    entry_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    submission_id: str = Field(sa_column=Column(String(128), nullable=False, unique=True))
    party_id: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    entry_type: str = Field(sa_column=Column(String(64), nullable=False))
    recorded_at: str = Field(sa_column=Column(String(32), nullable=False))


class TreeNodeRow(SQLModel, table=True):
    """Hash of the complete subtree covering leaves [idx << level, (idx + 1) << level)."""

    __tablename__ = "tree_nodes"
    level: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class CheckpointRow(SQLModel, table=True):
    __tablename__ = "checkpoints"
    tree_size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str = Field(sa_column=Column(String(32), nullable=False))


class PartyRow(SQLModel, table=True):
    __tablename__ = "parties"
    party_id: str = Field(sa_column=Column(String(128), primary_key=True))
    legal_name: str = Field(sa_column=Column(Text, nullable=False))
    registration_number: str = Field(sa_column=Column(String(64), nullable=False))
    country: str = Field(sa_column=Column(String(2), nullable=False))
    roles: str = Field(sa_column=Column(Text, nullable=False))
    registered_at: int = Field(sa_column=Column(BigInteger, nullable=False))


class PartyKeyRow(SQLModel, table=True):
    """A key's life: active for entries with index in (added_at, ended_at)."""

    __tablename__ = "party_keys"
    key_id: str = Field(sa_column=Column(String(64), primary_key=True))
    party_id: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    added_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    ended_at: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    end_reason: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))


class ApiTokenRow(SQLModel, table=True):
    """An API token, stored only as its SHA-256."""

    __tablename__ = "api_tokens"
    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    party_id: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    created_at: str = Field(sa_column=Column(String(32), nullable=False))


class WebSessionRow(SQLModel, table=True):
    """A signed-in browser session, stored only as the SHA-256 of its cookie."""

    __tablename__ = "web_sessions"
    session_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    party_id: str = Field(sa_column=Column(String(128), nullable=False))
    created_at: str = Field(sa_column=Column(String(32), nullable=False))
    expires_at: str = Field(sa_column=Column(String(32), nullable=False, index=True))


class MetaRow(SQLModel, table=True):
    __tablename__ = "meta"
    name: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))



class LotRow(SQLModel, table=True):
    """A lot (consignment) as the log has made it so far."""

    __tablename__ = "lots"
    lot_id: str = Field(sa_column=Column(String(64), primary_key=True))
    created_entry: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    created_by: str = Field(sa_column=Column(String(128), nullable=False))
    created_at: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    origin_kind: str = Field(sa_column=Column(String(16), nullable=False))
    holder: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    owner: str = Field(sa_column=Column(String(128), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    mass_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_mass_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    material_family: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    consumer_stage: str = Field(sa_column=Column(String(16), nullable=False))
    attributes: str = Field(sa_column=Column(Text, nullable=False))
    composition: str = Field(sa_column=Column(Text, nullable=False))
    consumed_entry: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    open_transfer: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    discrepancy: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    final_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # see store.ancestry_json
    site: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class LotOriginRow(SQLModel, table=True):
    """Grams of a lot's scrap content collected in one country."""

    __tablename__ = "lot_origins"
    lot_id: str = Field(sa_column=Column(String(64), primary_key=True))
    country: str = Field(sa_column=Column(String(2), primary_key=True, index=True))
    grams: int = Field(sa_column=Column(BigInteger, nullable=False))


class LotEdgeRow(SQLModel, table=True):
    """`child` was made (in part) from `parent` by the entry at `entry_index`."""

    __tablename__ = "lot_edges"
    child: str = Field(sa_column=Column(String(64), primary_key=True))
    parent: str = Field(sa_column=Column(String(64), primary_key=True, index=True))
    entry_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class LotAccessRow(SQLModel, table=True):
    """`party_id` holds, held, owned or was sent the lot, so it may read it and its ancestry."""

    __tablename__ = "lot_access"
    lot_id: str = Field(sa_column=Column(String(64), primary_key=True))
    party_id: str = Field(sa_column=Column(String(128), primary_key=True, index=True))


class TransferRow(SQLModel, table=True):
    __tablename__ = "transfers"
    transfer_id: str = Field(sa_column=Column(String(64), primary_key=True))
    lot_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    sender: str = Field(sa_column=Column(String(128), nullable=False))
    receiver: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    declared_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    lot_mass_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    transport_reference: str = Field(sa_column=Column(Text, nullable=False))
    transfers_ownership: bool = Field(sa_column=Column(Boolean, nullable=False))
    dispatched_entry: int = Field(sa_column=Column(BigInteger, nullable=False))
    dispatched_at: str = Field(sa_column=Column(String(32), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    closed_entry: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    closed_at: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    weighed_g: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    outcome: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    discrepancy: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    final_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # see store.ancestry_json


class TransformationRow(SQLModel, table=True):
    __tablename__ = "transformations"
    entry_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    actor: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    recorded_at: str = Field(sa_column=Column(String(32), nullable=False))
    input_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    additions_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    output_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    losses_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    unaccounted_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    material_family: str = Field(sa_column=Column(String(32), nullable=False))



class DeclarationRow(SQLModel, table=True):
    """A provenance declaration and whether its issuer withdrew it."""

    __tablename__ = "declarations"
    declaration_id: str = Field(sa_column=Column(String(64), primary_key=True))
    entry_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    issuer: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    recipient: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    lot_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    issued_at: str = Field(sa_column=Column(String(32), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    withdrawn_entry: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    withdrawal_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class CertificateRow(SQLModel, table=True):
    """A party's certificate (e.g. its end-of-waste quality management system) with its validity."""

    __tablename__ = "certificates"
    certificate_id: str = Field(sa_column=Column(String(64), primary_key=True))
    entry_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    party_id: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    number: str = Field(sa_column=Column(String(64), nullable=False))
    issuer: str = Field(sa_column=Column(Text, nullable=False))
    valid_from: str = Field(sa_column=Column(String(10), nullable=False))
    valid_until: str = Field(sa_column=Column(String(10), nullable=False))


class VerdictRow(SQLModel, table=True):
    """The latest verification verdict of a declaration (operational, not a projection)."""

    __tablename__ = "verdicts"
    declaration_id: str = Field(sa_column=Column(String(64), primary_key=True))
    verdict: str = Field(sa_column=Column(String(8), nullable=False))
    failed_checks: str = Field(sa_column=Column(Text, nullable=False))
    checked_at: str = Field(sa_column=Column(String(32), nullable=False))
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))


class AuditJobRow(SQLModel, table=True):
    """A full-log verification or an export run for an auditor, polled while it runs."""

    __tablename__ = "audit_jobs"
    job_id: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False, server_default="verification"))
    requested_by: str = Field(sa_column=Column(String(128), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    verified: int = Field(sa_column=Column(BigInteger, nullable=False))
    started_at: str = Field(sa_column=Column(String(32), nullable=False))
    updated_at: str = Field(sa_column=Column(String(32), nullable=False))
    finished_at: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    result: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ClaimAccountRow(SQLModel, table=True):
    """A mass-balance account: one holder's site, material family and characteristic, and its period rule."""

    __tablename__ = "claim_accounts"
    account_id: str = Field(sa_column=Column(String(64), primary_key=True))
    entry_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    holder: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    site: str = Field(sa_column=Column(String(64), nullable=False))
    material_family: str = Field(sa_column=Column(String(32), nullable=False))
    characteristic: str = Field(sa_column=Column(String(32), nullable=False))
    period_rule: str = Field(sa_column=Column(String(8), nullable=False))
    carry_forward_cap: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    opened_at: str = Field(sa_column=Column(String(32), nullable=False))


class ClaimMovementRow(SQLModel, table=True):
    """One change of an account, by the entry that made it: grams received, converted, lost, allocated..."""

    __tablename__ = "claim_movements"
    account_id: str = Field(sa_column=Column(String(64), primary_key=True))
    entry_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    period: str = Field(sa_column=Column(String(8), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    lot_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True, index=True))
    grams: int = Field(sa_column=Column(BigInteger, nullable=False))


class ClaimPeriodRow(SQLModel, table=True):
    """A closed period of an account and its statement (canonical JSON)."""

    __tablename__ = "claim_periods"
    account_id: str = Field(sa_column=Column(String(64), primary_key=True))
    period: str = Field(sa_column=Column(String(8), primary_key=True))
    closed_entry: int = Field(sa_column=Column(BigInteger, nullable=False))
    statement: str = Field(sa_column=Column(Text, nullable=False))


PROJECTION_TABLES = ("claim_periods", "claim_movements", "claim_accounts", "certificates", "declarations", "lot_access", "lot_edges", "lot_origins", "transfers", "transformations", "lots",
                     "party_keys", "parties")
