"""The smelter's intake: deliveries addressed to me, and the form that receives or rejects one."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from ledger import claim_accounts, custody, lots
from ledger.store import ReadTx, TransferRecord
from schemas.lots import LotSchema, TransferSchema

from ..services import services
from .sessions import signed_in

bp = Blueprint("custody_pages", __name__)


@bp.get("/inbox")
@signed_in
def inbox() -> str:
    """Open transfers addressed to the signed-in party, oldest first."""
    transfers = services().read(lambda tx: custody.inbox(tx, g.party))
    return render_template("inbox.html", transfers=TransferSchema(many=True).dump(transfers))


@bp.get("/transfers/<transfer_id>")
@signed_in
def transfer(transfer_id: str) -> str:
    """A transfer and, for its addressee while open, the receipt and rejection forms."""
    def read(tx: ReadTx) -> tuple[TransferRecord, lots.LotView, list[str]]:
        record = custody.describe_transfer(tx, g.party, transfer_id)
        view = lots.describe(tx, g.party, record.lot_id)
        return record, view, claim_accounts.account_sites(tx, g.party, (view.lot.material_family,))
    record, view, sites = services().read(read)
    return render_template("transfer.html", transfer=TransferSchema().dump(record), lot=LotSchema().dump(view),
                           addressee=record.receiver == g.party and record.status == "open", sites=sites)
