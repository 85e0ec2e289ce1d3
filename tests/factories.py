"""Realistic bodies for lots, dispatches, receipts and transformations."""

from __future__ import annotations

from typing import Any


def lot_body(**overrides: Any) -> dict[str, Any]:
    """Return an HMS 1&2 lot of 24,380 kg from a Rotterdam yard, with `overrides` applied."""
    body: dict[str, Any] = {
        "reference": "RTM-2026-11-0042",
        "material_family": "ferrous",
        "grade": {"scheme": "ISRI", "code": "HMS 1&2"},
        "ewc_code": "17 04 05",
        "hs_code": "720449",
        "consumer_stage": "post_consumer",
        "source_type": "construction_demolition",
        "origin": {"country": "NL", "site": "Waalhaven Zuid yard, Rotterdam"},
        "net_mass_kg": "24380",
        "gross_mass_kg": "38120",
        "tare_mass_kg": "13740",
        "weighbridge_ticket": "WB-118822",
        "documents": [{"kind": "weighbridge_ticket", "sha256": "a" * 64}],
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not None}


def zorba_body(**overrides: Any) -> dict[str, Any]:
    """Return a Zorba (shredded mixed non-ferrous) lot of 8,200 kg from an Antwerp shredder."""
    return lot_body(**{
        "reference": "ANT-ZOR-7781", "material_family": "mixed_non_ferrous", "grade": {"scheme": "ISRI", "code": "Zorba"},
        "ewc_code": "19 10 02", "hs_code": "7602", "consumer_stage": "post_consumer", "source_type": "elv",
        "origin": {"country": "BE", "site": "Antwerp shredder"}, "net_mass_kg": "8200", "gross_mass_kg": None,
        "tare_mass_kg": None, **overrides})


def berry_body(**overrides: Any) -> dict[str, Any]:
    """Return a Berry/Candy copper lot of 5,000.5 kg, pre-consumer, from a Duisburg cable works."""
    return lot_body(**{
        "reference": "DU-CU-0091", "material_family": "copper", "grade": {"scheme": "ISRI", "code": "Berry"},
        "ewc_code": "17 04 01", "hs_code": "740400", "consumer_stage": "pre_consumer",
        "source_type": "industrial_new_scrap", "origin": {"country": "DE", "site": "Duisburg cable works"},
        "net_mass_kg": "5000.5", "gross_mass_kg": None, "tare_mass_kg": None, **overrides})


def dispatch_body(lot_id: str, to_party: str, mass: str = "24380", **overrides: Any) -> dict[str, Any]:
    return {"lot_id": lot_id, "to_party": to_party, "declared_mass_kg": mass,
            "transport_reference": "CMR 2026-55821 / truck NL-12-BXT", **overrides}


def receipt_body(transfer_id: str, weighed: str = "24360", conformant: bool = True) -> dict[str, Any]:
    return {"transfer_id": transfer_id, "weighed_mass_kg": weighed,
            "inspection": {"conformant": conformant, "radiation_check_passed": True}}


def output(mass: str, **overrides: Any) -> dict[str, Any]:
    return {"material_family": "ferrous", "net_mass_kg": mass, **overrides}


def transform_body(kind: str, inputs: list[str], outputs: list[dict[str, Any]], losses: str = "0",
                   **overrides: Any) -> dict[str, Any]:
    return {"kind": kind, "inputs": inputs, "outputs": outputs, "losses_kg": losses, **overrides}


def declaration_body(lot_id: str, recipient: str, **overrides: Any) -> dict[str, Any]:
    """Return an honest declaration of the standard HMS lot (24,380 kg, post-consumer, from NL)."""
    body: dict[str, Any] = {
        "lot_id": lot_id, "recipient": recipient, "mass_kg": "24380", "material_family": "ferrous",
        "consumer_stage": "post_consumer", "recycled_share": "1", "post_consumer_share": "1",
        "origin_countries": ["NL"], "no_high_risk_origin": True, "chain_of_custody": "controlled_blending",
    }
    body.update(overrides)
    return body
