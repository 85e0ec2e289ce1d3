"""The provenance of a lot as a picture: a layered graph of lots, transfers and transformations.

A lot with 10,000 ancestors cannot be drawn node by node and stay readable (or fast), so the
graph is cut as it is walked back from the lot, breadth first, in two ways:

- by transformation: the inputs of a transformation become one *group* node (`inputs:<entry>`)
  when there are more than `FAN_IN` of them or when the picture already holds `BUDGET` nodes;
- by depth: `DEPTH` transformations back, a transformation and everything before it become one
  *older history* node (`older:<entry>`).

A group says how many lots it stands for, their mass, how many older lots and transformations
lie behind them and how many of all those lots are flagged; opening it (its id in `expand`) draws
what it hid in the next answer, `DEPTH` more steps deep. Every hidden ancestor is counted in
exactly one group.

Flags are what an intake officer must not miss: a discrepancy on the lot or on one of its
transfers, a rejected transfer, and an origin on the high-risk list.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidInput
from .masses import format_kg, parse_kg

FAN_IN = 24
BUDGET = 160
DEPTH = 6
TRANSFER_FLAGS = ("mass discrepancy", "rejected delivery")
GROUP_ID = re.compile(r"(inputs|older):[0-9]+")


@dataclass
class _Walk:
    """The ancestry document indexed for the walk, and the picture being drawn."""

    lots: dict[str, dict[str, Any]]
    produced_by: dict[str, int]  # lot -> the transformation entry that made it
    inputs: dict[int, list[str]]  # transformation entry -> its input lots
    transfers: dict[str, list[dict[str, Any]]]
    transformations: dict[int, dict[str, Any]]
    high_risk: frozenset[str]
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    placed: set[str] = field(default_factory=set)  # lots drawn or counted in a group

    def flags(self, lot_id: str) -> list[str]:
        lot = self.lots[lot_id]
        raised = {flag for move in self.transfers.get(lot_id, []) for flag in _transfer_flags(move)}
        if lot["discrepancy"]:
            raised.add("mass discrepancy")
        found = [flag for flag in TRANSFER_FLAGS if flag in raised]
        risky = sorted(origin["country"] for origin in lot["origins"] if origin["country"] in self.high_risk)
        if risky:
            found.append("high-risk origin " + ", ".join(risky))
        return found

    def tail(self, lot_id: str) -> str:
        """Return the node a lot leaves the picture by: its last transfer, or the lot itself."""
        moves = self.transfers.get(lot_id)
        return f"transfer:{moves[-1]['transfer_id']}" if moves else f"lot:{lot_id}"

    def draw_lot(self, lot_id: str) -> None:
        lot = self.lots[lot_id]
        self.placed.add(lot_id)
        self.nodes.append({"id": f"lot:{lot_id}", "kind": "lot", "lot_id": lot_id, "flags": self.flags(lot_id),
                           "label": f"{lot_id}\n{lot['material_family'].replace('_', ' ')}\n{lot['mass_kg']} kg",
                           "status": lot["status"]})
        before = f"lot:{lot_id}"
        for move in self.transfers.get(lot_id, []):
            node = f"transfer:{move['transfer_id']}"
            self.nodes.append({"id": node, "kind": "transfer", "transfer_id": move["transfer_id"],
                               "label": f"{move['sender']} → {move['receiver']}\n{move['status'].replace('_', ' ')}",
                               "flags": _transfer_flags(move), "status": move["status"]})
            self.edges.append({"source": before, "target": node, "mass_kg": move["declared_mass_kg"]})
            before = node

    def draw_maker(self, entry: int, depth: int, opened: set[str]) -> tuple[str, list[tuple[str, int]]]:
        """Draw what made a lot `depth` steps back; return its node and the inputs drawn, to walk on from."""
        if depth >= DEPTH and f"older:{entry}" not in opened:
            self.draw_older(entry)
            return f"older:{entry}", []
        node = f"transformation:{entry}"
        made = self.transformations[entry]
        self.nodes.append({"id": node, "kind": "transformation", "entry_index": entry,
                           "label": f"{made['kind']} #{entry}\nin {made['input_mass_kg']} kg\n"
                                    f"losses {made['losses_kg']} kg", "flags": []})
        members = [parent for parent in self.inputs[entry] if parent not in self.placed]
        crowded = len(members) > FAN_IN or len(self.nodes) + len(members) > BUDGET
        if members and crowded and f"inputs:{entry}" not in opened:
            self.draw_group(entry, members)
            return node, []
        for parent in members:
            self.draw_lot(parent)
            self.edges.append({"source": self.tail(parent), "target": node, "mass_kg": self.lots[parent]["mass_kg"]})
        deeper = 1 if f"older:{entry}" in opened else depth + 1  # an opened history: DEPTH steps from here
        return node, [(parent, deeper) for parent in members]

    def draw_group(self, entry: int, members: list[str]) -> None:
        """Draw the inputs of a transformation as one node, and hide what lies behind them."""
        behind, made = self.hide_behind(members)
        grams = sum(parse_kg(self.lots[lot_id]["mass_kg"], "mass_kg", allow_zero=True) for lot_id in members)
        label = f"{len(members):,} input lots\n{format_kg(grams)} kg"
        if behind:
            label += f"\n+ {len(behind):,} older lots"
        self.draw_hidden(f"inputs:{entry}", label, members, behind, made)
        self.edges.append({"source": f"inputs:{entry}", "target": f"transformation:{entry}",
                           "mass_kg": format_kg(grams)})

    def draw_older(self, entry: int) -> None:
        """Draw a transformation and everything before it as one node."""
        members = [parent for parent in self.inputs[entry] if parent not in self.placed]
        behind, made = self.hide_behind(members)
        made = [entry, *made]
        label = (f"older history\n{len(made):,} transformation{'s' if len(made) > 1 else ''}, "
                 f"{len(members) + len(behind):,} lots")
        self.draw_hidden(f"older:{entry}", label, members, behind, made)

    def draw_hidden(self, node: str, label: str, members: list[str], behind: list[str], made: list[int]) -> None:
        flagged = sum(1 for lot_id in [*members, *behind] if self.flags(lot_id))
        self.nodes.append({"id": node, "kind": "group", "label": label, "lots": len(members),
                           "older_lots": len(behind), "transformations": len(made), "flagged_lots": flagged,
                           "flags": [f"{flagged:,} flagged lot{'s' if flagged > 1 else ''} inside"] if flagged else []})

    def hide_behind(self, members: list[str]) -> tuple[list[str], list[int]]:
        """Count the members and everything behind them as placed; return the older lots and transformations."""
        self.placed.update(members)
        older: list[str] = []
        made: list[int] = []
        stack = list(members)
        while stack:
            entry = self.produced_by.get(stack.pop())
            if entry is None or entry in made:
                continue
            made.append(entry)
            for parent in self.inputs[entry]:
                if parent not in self.placed:
                    self.placed.add(parent)
                    older.append(parent)
                    stack.append(parent)
        return older, made


def _transfer_flags(move: dict[str, Any]) -> list[str]:
    on = (move["discrepancy"], move["status"] == "rejected")
    return [flag for flag, raised in zip(TRANSFER_FLAGS, on, strict=True) if raised]


def provenance_graph(document: dict[str, Any], high_risk: Iterable[str], expand: Iterable[str] = ()) -> dict[str, Any]:
    """Return the picture of a provenance document (`GET /v1/lots/{id}/provenance`), cut to stay readable.

    `expand` names the groups to draw open (`inputs:<entry>`, `older:<entry>`); anything else is refused.
    """
    opened = set(expand)
    bad = next((name for name in sorted(opened) if not GROUP_ID.fullmatch(name)), None)
    if bad is not None:
        raise InvalidInput("expand", f"{bad!r} is not a group id (inputs:<entry> or older:<entry>)")
    walk = _index(document, frozenset(high_risk))
    root = document["lot_id"]
    walk.draw_lot(root)
    queue = deque([(root, 0)])
    drawn: dict[int, str] = {}  # transformation entry -> the node that stands for it
    while queue:
        lot_id, depth = queue.popleft()
        entry = walk.produced_by.get(lot_id)
        if entry is None:
            continue
        if entry not in drawn:
            drawn[entry], inputs = walk.draw_maker(entry, depth, opened)
            queue.extend(inputs)
        walk.edges.append({"source": drawn[entry], "target": f"lot:{lot_id}", "mass_kg": walk.lots[lot_id]["mass_kg"]})
    return {"lot_id": root, "nodes": walk.nodes, "edges": walk.edges,
            "totals": {"lots": len(document["lots"]), "transfers": len(document["transfers"]),
                       "transformations": len(document["transformations"])},
            "shown": {"lots": sum(1 for node in walk.nodes if node["kind"] == "lot"),
                      "groups": sum(1 for node in walk.nodes if node["kind"] == "group")}}


def _index(document: dict[str, Any], high_risk: frozenset[str]) -> _Walk:
    produced_by: dict[str, int] = {}
    parents: dict[int, dict[str, None]] = {}  # insertion-ordered sets: a split's outputs share their inputs
    for edge in document["edges"]:
        produced_by[edge["child"]] = edge["entry_index"]
        parents.setdefault(edge["entry_index"], {})[edge["parent"]] = None
    inputs = {entry: list(members) for entry, members in parents.items()}
    transfers: dict[str, list[dict[str, Any]]] = {}
    for move in document["transfers"]:
        transfers.setdefault(move["lot_id"], []).append(move)
    return _Walk(lots={lot["lot_id"]: lot for lot in document["lots"]}, produced_by=produced_by, inputs=inputs,
                 transfers=transfers, transformations={made["entry_index"]: made for made in document["transformations"]},
                 high_risk=high_risk)
