"""Bulk import of weighbridge and ERP files: read, map, sign locally, send in batches, report per row.

Client-side only: it speaks to a server through `api.client`, like the rest
of the CLI, and leaves every rule about the ledger's data to the server.
"""
