"""`scrapledger import template`: a ready CSV and the mapping that reads it, for each kind of import.

The templates are written the way a Dutch yard's office exports: `;` between
columns, a decimal comma, masses in tonnes where a weighbridge prints them so.
"""

from __future__ import annotations

TEMPLATES: dict[str, tuple[str, str]] = {
    "lots": (
        "Reference;Material;Grade;EWC;HS;Stage;Source;Country;Site;Net (t);Weighbridge ticket;Stock site\r\n"
        "RTM-2026-0001;ferrous;HMS1/2;17 04 05;720449;post_consumer;construction_demolition;NL;"
        "Waalhaven Zuid yard;24,38;WB-118822;Rotterdam Waalhaven\r\n"
        "RTM-2026-0002;copper;Berry;17 04 01;740400;pre_consumer;industrial_new_scrap;DE;"
        "Duisburg cable works;5,0005;WB-118823;\r\n",
        '''# scrapledger import mapping: lot registrations (scrapledger import lots FILE --map THIS)
#
# [columns]: ledger field = the column's header in your file. A field may be left out,
# or given once for every row in [fixed]. Fields: reference, material_family,
# grade.scheme, grade.code, ewc_code, hs_code, consumer_stage, source_type,
# origin.country, origin.site (where the scrap arose), net_mass_kg, gross_mass_kg,
# tare_mass_kg, weighbridge_ticket, site (your own site where the lot is kept; name it
# when you keep mass-balance accounts for the material at more than one site), and
# documents.<kind> (a document's SHA-256).

[file]
delimiter = ";"       # ; , | or "\\t"; found from the header line when left out
decimal = ","         # the decimal mark of numbers: "," or "."; default "," when delimiter is ";"
encoding = "auto"     # auto: UTF-8 (with or without BOM), else Windows-1252; or e.g. "cp1252"
header_row = 1        # the row holding the column names
# sheet = "Export"    # for an .xlsx workbook: the sheet (default: the first)

[columns]
reference = "Reference"
material_family = "Material"
"grade.code" = "Grade"
ewc_code = "EWC"
hs_code = "HS"
consumer_stage = "Stage"
source_type = "Source"
"origin.country" = "Country"
"origin.site" = "Site"
net_mass_kg = "Net (t)"
weighbridge_ticket = "Weighbridge ticket"
site = "Stock site"

[fixed]
"grade.scheme" = "ISRI"

[units]               # a mass column not in kg: "t" (exact) or "lb" (to the nearest gram)
net_mass_kg = "t"

[translate."grade.code"]   # your codes -> the grade scheme's
"HMS1/2" = "HMS 1&2"
"Shred" = "Shredded"
''',
    ),
    "dispatches": (
        "Lot;Buyer;Declared (kg);CMR;Sold\r\n"
        "lot-12;ijmuiden-steel;24.380;CMR 2026-55821;ja\r\n",
        '''# scrapledger import mapping: dispatches (scrapledger import dispatches FILE --map THIS)
# Fields: lot_id, to_party, declared_mass_kg, transport_reference, transfers_ownership
# (yes/no, ja/nee, true/false, 1/0; no: possession only).

[file]
delimiter = ";"
decimal = ","

[columns]
lot_id = "Lot"
to_party = "Buyer"
declared_mass_kg = "Declared (kg)"
transport_reference = "CMR"
transfers_ownership = "Sold"
''',
    ),
    "receipts": (
        "Transfer;Weighed (kg);Receiving site;Conformant;Radiation OK;Remarks\r\n"
        "tr-13;24.360;IJmuiden scrap yard;ja;ja;\r\n",
        '''# scrapledger import mapping: receipts from a weighbridge ticket file
# (scrapledger import receipts FILE --map THIS). Each row receives an open transfer addressed to you.
# Fields: transfer_id, weighed_mass_kg, site (your site that received the lot; name it when you
# keep mass-balance accounts for the material at more than one site), inspection.conformant,
# inspection.radiation_check_passed, inspection.notes.

[file]
delimiter = ";"
decimal = ","

[columns]
transfer_id = "Transfer"
weighed_mass_kg = "Weighed (kg)"
site = "Receiving site"
"inspection.conformant" = "Conformant"
"inspection.radiation_check_passed" = "Radiation OK"
"inspection.notes" = "Remarks"
''',
    ),
}
