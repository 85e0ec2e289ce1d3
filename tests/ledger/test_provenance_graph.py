"""The provenance picture: a readable cut of the ancestry, every hidden lot counted once, flags kept."""

from __future__ import annotations

from typing import Any

from ledger.provenance_graph import BUDGET, DEPTH, FAN_IN, provenance_graph


class Ancestry:
    """A provenance document (`GET /v1/lots/{id}/provenance`) built history step by history step."""

    def __init__(self) -> None:
        self.lots: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []
        self.transfers: list[dict[str, Any]] = []
        self.transformations: list[dict[str, Any]] = []
        self.entry = 0

    def lot(self, mass: str = "1000.000", country: str = "NL", discrepancy: bool = False) -> str:
        self.entry += 1
        lot_id = f"lot-{self.entry}-1"
        self.add_lot(lot_id, mass, discrepancy, [{"country": country, "mass_kg": mass, "share": "1.000000"}])
        return lot_id

    def add_lot(self, lot_id: str, mass: str, discrepancy: bool, origins: list[dict[str, str]]) -> None:
        self.lots.append({"lot_id": lot_id, "material_family": "ferrous", "mass_kg": mass, "status": "active",
                          "discrepancy": discrepancy, "origins": origins})

    def transfer(self, lot_id: str, status: str = "received", discrepancy: bool = False) -> str:
        self.entry += 1
        transfer_id = f"tr-{self.entry}"
        self.transfers.append({"transfer_id": transfer_id, "lot_id": lot_id, "sender": "recycler-rotterdam",
                               "receiver": "smelter-duisburg", "declared_mass_kg": "1000.000", "status": status,
                               "discrepancy": discrepancy})
        return transfer_id

    def transform(self, inputs: list[str], kind: str = "blend", outputs: int = 1) -> list[str]:
        self.entry += 1
        made = [f"lot-{self.entry}-{n}" for n in range(1, outputs + 1)]
        self.transformations.append({"entry_index": self.entry, "kind": kind, "input_mass_kg": "1.000",
                                     "losses_kg": "0.000"})
        for child in made:
            self.add_lot(child, "1000.000", False, [])
            self.edges += [{"child": child, "parent": parent, "entry_index": self.entry} for parent in inputs]
        return made

    def document(self, lot_id: str) -> dict[str, Any]:
        return {"lot_id": lot_id, "lots": self.lots, "edges": self.edges, "transfers": self.transfers,
                "transformations": self.transformations, "parties": []}

    def chain(self, steps: int) -> str:
        """A lot sorted `steps` times in a row; return the last one."""
        current = self.lot()
        for _ in range(steps):
            current = self.transform([current], kind="sort")[0]
        return current


def nodes(picture: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [node for node in picture["nodes"] if node["kind"] == kind]


def hidden(picture: dict[str, Any]) -> int:
    return sum(group["lots"] + group["older_lots"] for group in nodes(picture, "group"))


def test_a_small_blend_is_drawn_whole_with_masses_on_the_edges():
    history = Ancestry()
    inputs = [history.lot(mass=f"{n}000.500") for n in (1, 2, 3)]
    history.transfer(inputs[0])
    blend = history.transform(inputs)[0]
    picture = provenance_graph(history.document(blend), ["CD"])
    assert {node["lot_id"] for node in nodes(picture, "lot")} == {blend, *inputs}
    assert not nodes(picture, "group")
    transformation = f"transformation:{history.transformations[0]['entry_index']}"
    assert {(edge["source"], edge["mass_kg"]) for edge in picture["edges"] if edge["target"] == transformation} == {
        (f"transfer:{history.transfers[0]['transfer_id']}", "1000.500"), (f"lot:{inputs[1]}", "2000.500"),
        (f"lot:{inputs[2]}", "3000.500")}
    assert picture["shown"] == {"lots": 4, "groups": 0}


def test_a_transformation_with_more_inputs_than_the_fan_in_shows_them_as_one_group_with_their_mass():
    history = Ancestry()
    blend = history.transform([history.lot(mass="500.250") for _ in range(FAN_IN + 1)])[0]
    picture = provenance_graph(history.document(blend), [])
    [group] = nodes(picture, "group")
    assert group["lots"] == FAN_IN + 1
    assert group["label"].startswith(f"{FAN_IN + 1} input lots\n12506.250 kg")
    assert [lot["lot_id"] for lot in nodes(picture, "lot")] == [blend]


def test_opening_a_group_draws_its_lots():
    history = Ancestry()
    blend = history.transform([history.lot() for _ in range(FAN_IN + 1)])[0]
    entry = history.transformations[0]["entry_index"]
    picture = provenance_graph(history.document(blend), [], expand=[f"inputs:{entry}"])
    assert len(nodes(picture, "lot")) == FAN_IN + 2
    assert not nodes(picture, "group")


def test_history_deeper_than_the_depth_becomes_one_older_history_node_that_opens_depth_more_steps():
    history = Ancestry()
    last = history.chain(3 * DEPTH)
    picture = provenance_graph(history.document(last), [])
    [older] = nodes(picture, "group")
    assert len(nodes(picture, "transformation")) == DEPTH
    assert older["transformations"] == 2 * DEPTH and older["lots"] + older["older_lots"] == 2 * DEPTH
    opened = provenance_graph(history.document(last), [], expand=[older["id"]])
    assert len(nodes(opened, "transformation")) == 2 * DEPTH
    assert [group["transformations"] for group in nodes(opened, "group")] == [DEPTH]


def test_every_hidden_ancestor_of_ten_thousand_is_counted_in_exactly_one_group_and_the_picture_stays_small():
    history = Ancestry()
    blends = [history.transform([history.lot() for _ in range(200)])[0] for _ in range(50)]
    melt = history.transform(blends, kind="melt")[0]
    picture = provenance_graph(history.document(melt), [])
    assert picture["totals"]["lots"] == 10_051
    assert len(nodes(picture, "lot")) + hidden(picture) == 10_051
    assert len(picture["nodes"]) <= BUDGET
    opened = provenance_graph(history.document(melt), [], expand=[nodes(picture, "group")[0]["id"]])
    assert len(nodes(opened, "lot")) + hidden(opened) == 10_051
    assert len(nodes(opened, "group")) == 50


def test_a_split_whose_outputs_meet_again_draws_its_transformation_once():
    history = Ancestry()
    halves = history.transform([history.lot()], kind="split", outputs=2)
    blend = history.transform(halves)[0]
    picture = provenance_graph(history.document(blend), [])
    split = f"transformation:{history.transformations[0]['entry_index']}"
    assert [node["id"] for node in picture["nodes"]].count(split) == 1
    assert {edge["target"] for edge in picture["edges"] if edge["source"] == split} == {f"lot:{h}" for h in halves}


def test_discrepancies_rejections_and_high_risk_origins_flag_their_lots_and_transfers():
    history = Ancestry()
    weighed_short, refused, risky = history.lot(discrepancy=True), history.lot(), history.lot(country="CD")
    history.transfer(refused, status="rejected")
    blend = history.transform([weighed_short, refused, risky])[0]
    picture = provenance_graph(history.document(blend), ["CD", "RU"])
    flags = {node["lot_id"]: node["flags"] for node in nodes(picture, "lot")}
    assert flags == {blend: [], weighed_short: ["mass discrepancy"], refused: ["rejected delivery"],
                     risky: ["high-risk origin CD"]}
    assert [node["flags"] for node in nodes(picture, "transfer")] == [["rejected delivery"]]


def test_a_group_counts_the_flagged_lots_it_hides():
    history = Ancestry()
    lots = [history.lot(country="CD" if n < 3 else "NL") for n in range(FAN_IN + 1)]
    blend = history.transform(lots)[0]
    [group] = nodes(provenance_graph(history.document(blend), ["CD"]), "group")
    assert group["flagged_lots"] == 3
    assert group["flags"] == ["3 flagged lots inside"]
