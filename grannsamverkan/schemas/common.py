"""Field types and small schemas shared by the resource schemas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from grannsamverkan.errors import N_
from grannsamverkan.geo.coarsen import coarsen

MAX_POLYGON_POSITIONS = 10_000


def Latitude(**kwargs: Any) -> fields.Float:
    return fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False, **kwargs)


def Longitude(**kwargs: Any) -> fields.Float:
    return fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False, **kwargs)


class PointSchema(Schema):
    lat = Latitude(required=True)
    lon = Longitude(required=True)


class CoarsePoint(fields.Field):
    """Dumps a {"lat", "lon"} point snapped to its ≈200 m grid cell (members' view)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return coarsen(value["lat"], value["lon"])


def _check_position(position: Any) -> None:
    if (
        not isinstance(position, list)
        or len(position) < 2
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in position[:2])
    ):
        raise ValidationError("Each position is [longitude, latitude].")
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError("A position is outside the valid longitude/latitude range.")


class GeoJSONPolygon(fields.Dict):
    """A GeoJSON Polygon geometry (RFC 7946 §3.1.6), in WGS84 [lon, lat] positions."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        value = super()._deserialize(value, attr, data, **kwargs)
        if value.get("type") != "Polygon":
            raise ValidationError('A boundary is a GeoJSON geometry of "type": "Polygon".')
        rings = value.get("coordinates")
        if not isinstance(rings, list) or not rings:
            raise ValidationError("A Polygon has a list of linear rings as its coordinates.")
        total = 0
        for ring in rings:
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValidationError("Each ring has at least four positions.")
            for position in ring:
                _check_position(position)
            if ring[0][:2] != ring[-1][:2]:
                raise ValidationError("Each ring ends where it starts.")
            total += len(ring)
        if total > MAX_POLYGON_POSITIONS:
            limit = {"count": MAX_POLYGON_POSITIONS}
            raise ValidationError(N_("A boundary has at most %(count)s positions.") % limit)
        return {"type": "Polygon", "coordinates": [[p[:2] for p in r] for r in rings]}


class NonEmptyBodySchema(Schema):
    """A PATCH body must change something."""

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Send at least one field to change.")


class PageSchema(Schema):
    """A page of a list: ``{"items": [...], "next_cursor": ...}`` (see ``page_of``)."""

    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "Send as ?cursor= for the next page; null at the end."},
    )


def page_of(item_schema: type[Schema]) -> type[PageSchema]:
    """The typed page schema of a list route, named after its items ("TipViewPage")."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    items = fields.List(fields.Nested(item_schema), required=True)
    return type(name, (PageSchema,), {"items": items, "__doc__": f"A page of {name[:-10]}s."})


@dataclass(frozen=True)
class Shown:
    """An object and the schema the caller sees it through: one of a ``OneOfSchema``'s
    variants, chosen by the view from the caller's rights (police view, member view)."""

    schema: type[Schema]
    value: Any


class OneOfSchema(Schema):
    """A body whose shape depends on who asks. The view hands over ``Shown`` values; each is
    dumped with its own variant, and the OpenAPI document says ``oneOf`` the variants
    (api/openapi.py)."""

    variants: ClassVar[tuple[type[Schema], ...]] = ()

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        if self.many if many is None else many:
            return [self._dump_one(one) for one in obj]
        return self._dump_one(obj)

    def _dump_one(self, shown: Shown) -> Any:
        if not isinstance(shown, Shown) or shown.schema not in self.variants:
            raise TypeError(f"{type(self).__name__} dumps Shown values of {self.variants}")
        return shown.schema().dump(shown.value)
