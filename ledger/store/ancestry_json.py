"""The ancestry of a lot rendered as JSON by the database, for the provenance answer.

A lot with 10,000 ancestors has a 10 MB provenance document. Building a
Python object per node and encoding them costs several times what the
database takes to find the nodes, so the database writes each node's JSON
itself (`json_object` on SQLite, `json_build_object` on PostgreSQL) and
Python only joins the rows. The rendering is the wire form that
`schemas.lots.ProvenanceSchema` documents, keys in sorted order; a test
checks it against that schema's dump of `ReadTx.ancestry`, on both databases.

Masses are formatted from integer grams with integer arithmetic only, and a
share is `part * 10^6 // whole`: every lot weighs at most
`masses.MAX_GRAMS` (10^12 g), so the product stays inside 64 bits.

Consumed lots and closed transfers keep their rendered node in `final_json`
(`LotWrites.consume_lots`, `close_transfer`), and a NULL there is rendered on
read. A change to the rendering therefore needs a migration that sets
`final_json` back to NULL, or stored nodes would keep the old shape.
"""

from __future__ import annotations

import json

from ..composition import CATEGORIES, RECYCLED
from .direct_sql import DirectSql


# The edges behind a lot, walked once (UNION, not UNION ALL: a lot reached twice is walked once).
WALK = ("WITH RECURSIVE walk(child, parent, entry_index) AS ("
        " SELECT child, parent, entry_index FROM lot_edges WHERE child = ?"
        " UNION SELECT lot_edges.child, lot_edges.parent, lot_edges.entry_index FROM lot_edges"
        " JOIN walk ON lot_edges.child = walk.parent)")


class _Dialect:
    """The JSON and text functions of SQLite or PostgreSQL, as SQL fragments."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres

    def obj(self, **members: str) -> str:
        """Return a JSON object of SQL expressions, keys sorted as Flask sorts them."""
        pairs = ", ".join(f"'{key}', {members[key]}" for key in sorted(members))
        return f"{'json_build_object' if self.postgres else 'json_object'}({pairs})"

    def embedded(self, text: str) -> str:
        """Return a column holding JSON text as a JSON value (NULL stays NULL)."""
        return f"CAST({text} AS json)" if self.postgres else f"json({text})"

    def boolean(self, column: str) -> str:
        return column if self.postgres else f"json(CASE WHEN {column} THEN 'true' ELSE 'false' END)"

    def padded(self, number: str, width: int) -> str:
        """Return a non-negative integer as text, zero-padded to `width` digits."""
        if self.postgres:
            return f"lpad(CAST({number} AS text), {width}, '0')"
        return f"printf('%0{width}d', {number})"

    def kg(self, grams: str) -> str:
        """Return integer grams as kilograms with three decimals (`masses.format_kg`); NULL stays NULL."""
        return (f"CASE WHEN {grams} IS NULL THEN NULL ELSE (CASE WHEN {grams} < 0 THEN '-' ELSE '' END)"
                f" || CAST(abs({grams}) / 1000 AS text) || '.' || {self.padded(f'abs({grams}) % 1000', 3)} END")

    def share(self, part: str, whole: str) -> str:
        """Return part/whole with six decimals, rounded down (`masses.share`); none and all need no division."""
        millionths = f"(({part}) * 1000000 / {whole})"
        return (f"CASE WHEN {whole} <= 0 OR ({part}) = 0 THEN '0.000000' WHEN ({part}) = {whole} THEN '1.000000'"
                f" ELSE CAST({millionths} / 1000000 AS text) || '.' || {self.padded(f'{millionths} % 1000000', 6)} END")

    def grams_of(self, composition: str, category: str) -> str:
        """Return one category's grams in a lot's composition (JSON text), 0 if it has none."""
        if self.postgres:
            return f"coalesce(CAST(CAST({composition} AS json) ->> '{category}' AS bigint), 0)"
        return f"coalesce(json_extract({composition}, '$.{category}'), 0)"

    def origins(self, lot: str, mass: str) -> str:
        """Return a lot's origins as `schemas.lots._origins` lists them: largest first, then by country."""
        origin = self.obj(country="o.country", mass_kg=self.kg("o.grams"), share=self.share("o.grams", mass))
        if self.postgres:
            return (f"coalesce((SELECT json_agg({origin} ORDER BY o.grams DESC, o.country COLLATE \"C\")"
                    f" FROM lot_origins o WHERE o.lot_id = {lot}), CAST('[]' AS json))")
        return (f"json((SELECT json_group_array(json(origin)) FROM (SELECT {origin} AS origin FROM lot_origins o"
                f" WHERE o.lot_id = {lot} ORDER BY o.grams DESC, o.country)))")

    def text(self, value: str) -> str:
        """Return a JSON value as text for the driver (psycopg would parse json into Python objects)."""
        return f"CAST({value} AS text)" if self.postgres else value


def _lot_node(d: _Dialect) -> str:
    """Return the JSON of the lot `l` as `ProvenanceLotSchema` dumps it."""
    grams = {category: d.grams_of("l.composition", category) for category in CATEGORIES}
    mass = f"({' + '.join(grams.values())})"  # `Makeup.mass`: the categories add up to it
    shares = {category: d.share(part, mass) for category, part in grams.items()}
    shares["recycled"] = d.share(" + ".join(grams[category] for category in RECYCLED), mass)
    return d.obj(
        lot_id="l.lot_id", made_by="l.origin_kind", material_family="l.material_family",
        consumer_stage="l.consumer_stage", mass_kg=d.kg("l.mass_g"), status="l.status", holder="l.holder",
        owner="l.owner", created_by="l.created_by", created_entry="l.created_entry",
        consumed_entry="l.consumed_entry", discrepancy=d.boolean("l.discrepancy"),
        origins=d.origins("l.lot_id", mass), shares=d.obj(**shares),
    )


def _transfer_node(d: _Dialect) -> str:
    """Return the JSON of the transfer `t` as `TransferSchema` dumps it."""
    return d.obj(
        transfer_id="t.transfer_id", lot_id="t.lot_id", sender="t.sender", receiver="t.receiver",
        declared_mass_kg=d.kg("t.declared_g"), weighed_mass_kg=d.kg("t.weighed_g"),
        transport_reference="t.transport_reference", transfers_ownership=d.boolean("t.transfers_ownership"),
        status="t.status", outcome=d.embedded("t.outcome"), discrepancy=d.boolean("t.discrepancy"),
        dispatched_entry="t.dispatched_entry", dispatched_at="t.dispatched_at", closed_entry="t.closed_entry",
        closed_at="t.closed_at",
    )


def _statements(d: _Dialect, ids: str, entry_ids: str) -> dict[str, str]:
    lot, transfer = d.text(_lot_node(d)), d.text(_transfer_node(d))
    transformation = d.obj(
        entry_index="entry_index", kind="kind", actor="actor", recorded_at="recorded_at",
        input_mass_kg=d.kg("input_g"), additions_kg=d.kg("additions_g"), output_mass_kg=d.kg("output_g"),
        losses_kg=d.kg("losses_g"), unaccounted_kg=d.kg("unaccounted_g"),
    )
    party = d.obj(party_id="party_id", legal_name="legal_name", country="country", roles=d.embedded("roles"),
                  registered_at="registered_at")
    edge = d.obj(child="walk.child", parent="walk.parent", entry_index="walk.entry_index")
    # Rows lead with their sort key and are sorted in Python: the database would sort the rendered JSON along.
    return {
        "edges": f"{WALK} SELECT walk.child, walk.parent, {d.text(edge)} FROM walk",
        "lots": (f"SELECT l.created_entry, l.lot_id, l.created_by, l.holder, l.owner, coalesce(l.final_json, {lot})"
                 f" FROM lots l WHERE l.lot_id IN ({ids})"),
        "transfers": (f"SELECT t.dispatched_entry, t.sender, t.receiver, coalesce(t.final_json, {transfer})"
                      f" FROM transfers t WHERE t.lot_id IN ({ids})"),
        "transformations": f"SELECT entry_index, {d.text(transformation)} FROM transformations WHERE entry_index IN ({entry_ids})",
        "parties": f"SELECT party_id, {d.text(party)} FROM parties WHERE party_id IN ({ids})",
        "seal_lots": f"UPDATE lots AS l SET final_json = {lot} WHERE l.lot_id IN ({ids})",
        "seal_transfer": f"UPDATE transfers AS t SET final_json = {transfer} WHERE t.transfer_id = ?",
    }


def statements(sql: DirectSql) -> dict[str, str]:
    """Return the rendering statements for the database behind `sql` (built once per dialect)."""
    postgres = sql.postgres
    if postgres not in _BUILT:
        _BUILT[postgres] = _statements(_Dialect(postgres), sql.values("VARCHAR"), sql.values("BIGINT"))
    return _BUILT[postgres]


_BUILT: dict[bool, dict[str, str]] = {}


class AncestryJson:
    """Renders `ReadTx.ancestry` as the provenance document, in the database."""

    sql: DirectSql

    def ancestry_json(self, lot_id: str) -> str:
        """Return the provenance document of a lot (which must exist) as JSON text.

        Lots come in creation order (ties by id), edges by child then parent,
        transfers and transformations by entry, parties by id.
        """
        rendering = statements(self.sql)
        edges = sorted(self.sql.all(rendering["edges"], (lot_id,)))
        ids = self.sql.listed(sorted({lot_id, *(edge[1] for edge in edges)}))
        lots = sorted(self.sql.all(rendering["lots"], (ids,)))
        transfers = sorted(self.sql.all(rendering["transfers"], (ids,)))
        made = self.sql.listed(sorted({row[0] for row in lots}))
        named = self.sql.listed(sorted({name for row in lots for name in row[2:5]}
                                       | {name for row in transfers for name in row[1:3]}))
        listed = {"edges": edges, "lots": lots, "transfers": transfers,
                  "parties": sorted(self.sql.all(rendering["parties"], (named,))),
                  "transformations": sorted(self.sql.all(rendering["transformations"], (made,)))}
        members = {name: "[" + ",".join([row[-1] for row in rows]) + "]" for name, rows in listed.items()}
        members["lot_id"] = json.dumps(lot_id)
        return "{" + ",".join(f'"{name}":{members[name]}' for name in sorted(members)) + "}"
