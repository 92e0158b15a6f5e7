"""The error body every API error answers with: an RFC 9457 problem (api/errors.py)."""

from __future__ import annotations

from marshmallow import Schema, fields


class ProblemSchema(Schema):
    """An RFC 9457 problem document (``application/problem+json``)."""

    type = fields.String(
        required=True,
        metadata={"description": "The problem type: urn:grannsamverkan:problem:<name>"},
    )
    title = fields.String(
        required=True, metadata={"description": "What kind of problem, in the caller's language"}
    )
    status = fields.Integer(required=True, metadata={"description": "The HTTP status"})
    detail = fields.String(
        required=True, metadata={"description": "What went wrong, in the caller's language"}
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={
            "description": "Validation failures: each field at fault with a list of messages "
            "(nested objects for nested fields)"
        },
    )
