"""Schemas for areas, memberships and invitations."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from grannsamverkan.errors import N_
from grannsamverkan.models.area import MEMBERSHIP_ROLES
from grannsamverkan.schemas.accounts import NOT_BLANK
from grannsamverkan.schemas.common import (
    CoarsePoint,
    GeoJSONPolygon,
    NonEmptyBodySchema,
    OneOfSchema,
    PointSchema,
    page_of,
)
from grannsamverkan.schemas.input_fields import Text

MUNICIPALITY_CODE = validate.Regexp(r"^\d{4}$", error=N_("A municipality code is four digits."))


class AreaCreateSchema(Schema):
    name = Text(required=True, validate=[validate.Length(1, 200), NOT_BLANK])
    municipality_code = fields.String(required=True, validate=MUNICIPALITY_CODE)
    center = fields.Nested(PointSchema, required=True)
    boundary = GeoJSONPolygon(load_default=None, allow_none=True)
    tip_moderation = fields.Boolean(load_default=False)


class AreaPatchSchema(NonEmptyBodySchema):
    name = Text(validate=[validate.Length(1, 200), NOT_BLANK])
    boundary = GeoJSONPolygon(allow_none=True)
    tip_moderation = fields.Boolean()


class AreaQuerySchema(Schema):
    municipality_code = fields.String(validate=MUNICIPALITY_CODE)
    near = fields.String(
        validate=validate.Regexp(
            r"^-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?$",
            error=N_("Use near=lat,lon in decimal degrees."),
        )
    )

    @validates("near")
    def _near_in_range(self, value: str, **kwargs: Any) -> None:
        lat, lon = (float(part) for part in value.split(","))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationError("near is outside the valid latitude/longitude range.")


class AreaPublicSchema(Schema):
    """What every signed-in user may see of an area: no boundary, a coarsened centre."""

    id = fields.Integer()
    name = fields.String()
    municipality_code = fields.String()
    center = CoarsePoint()
    active_households = fields.Integer()


class AreaSchema(Schema):
    """The full area, for its police and contact persons."""

    id = fields.Integer()
    name = fields.String()
    municipality_code = fields.String()
    center = fields.Nested(PointSchema)
    boundary = fields.Dict(allow_none=True)
    tip_moderation = fields.Boolean()
    active_households = fields.Integer()
    created_at = fields.DateTime()


class AreaViewSchema(OneOfSchema):
    """An area: full for its police and contact persons; for everyone else only the public
    fields (no boundary, a coarsened centre)."""

    variants = (AreaSchema, AreaPublicSchema)


AreaPublicPageSchema = page_of(AreaPublicSchema)


class MembershipSchema(Schema):
    area_id = fields.Integer()
    area_name = fields.String()
    user_id = fields.Integer()
    role = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class MemberPutSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("active", "removed")))
    role = fields.String(validate=validate.OneOf(MEMBERSHIP_ROLES))


class MemberSchema(Schema):
    user_id = fields.Integer()
    name = fields.String(attribute="user.name")
    email = fields.String(attribute="user.email", allow_none=True)
    # Registered by a contact person, without a smartphone (POST /areas/{id}/households).
    household = fields.Boolean(attribute="user.is_household")
    role = fields.String()
    status = fields.String()
    address = fields.String(attribute="user.home_address", allow_none=True)


MemberPageSchema = page_of(MemberSchema)


class InvitationCreateSchema(Schema):
    email = fields.Email(validate=validate.Length(max=254), load_default=None, allow_none=True)


class InvitationSchema(Schema):
    """A new invitation: its token is shown this once."""

    id = fields.Integer()
    token = fields.String()
    expires_at = fields.DateTime()


class InvitationListedSchema(Schema):
    """An invitation in the area's list: never its token, nor who used it."""

    id = fields.Integer()
    email = fields.String(allow_none=True)
    state = fields.String(
        metadata={"enum": ["open", "used", "revoked", "expired"]},
    )
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


InvitationPageSchema = page_of(InvitationListedSchema)
