"""scrapledger's domain core: the verifiable log and the rules of the scrap chain.

The boundary rule: this package does no HTTP and knows nothing of requests.
It never imports flask, werkzeug, marshmallow or flask-smorest (a test holds
it to that); `api/` translates HTTP to calls of this package and its errors to
problem+json. Only `ledger.store` talks SQL.
"""

from .errors import LedgerError
from .log import AppendResult, Log

__all__ = ["AppendResult", "LedgerError", "Log"]
