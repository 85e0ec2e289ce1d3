"""flask-smorest, bent to our contract: strict JSON in, problem+json out, errors documented."""

from __future__ import annotations

from typing import Any

import flask
from flask_smorest import Api, Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from schemas.common import ProblemSchema

from . import problems, strict_json


class StrictParser(FlaskParser):
    """Parses JSON bodies with `strict_json` and refuses non-JSON bodies on JSON routes."""

    DEFAULT_VALIDATION_STATUS = 422

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            if req.get_data(cache=True):
                flask.abort(problems.problem(415, "unsupported media type",
                                             "send the body as application/json", field="Content-Type",
                                             rule="application/json"))
            return core.missing
        try:
            return strict_json.loads(req.get_data(cache=True))
        except strict_json.BadJSON as exc:
            flask.abort(problems.problem(400, "malformed JSON", str(exc), field="body", rule=exc.rule))


class LedgerBlueprint(Blueprint):
    """A flask-smorest blueprint that parses request bodies with `StrictParser`."""

    ARGUMENTS_PARSER = StrictParser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """Parse with one instance of `schema`, made now: given a class, webargs makes one per request."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)


class LedgerApi(Api):
    """The Api with problem+json errors documented and returned."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # flask-smorest documents its error responses (422, default) under
        # DEFAULT_RESPONSE_CONTENT_TYPE; ours are served as problem+json, and a
        # client validating by media type would otherwise check none of them.
        self.DEFAULT_RESPONSE_CONTENT_TYPE = problems.CONTENT_TYPE
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE

    def handle_http_exception(self, error: Any) -> Any:
        return problems.from_http_exception(error)
