"""Schemas for the traffic hot spots: a GeoJSON FeatureCollection of coarse grid cells."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from grannsamverkan.models.tip import TRAFFIC_KINDS
from grannsamverkan.schemas.stats import StatsRangeSchema


class HotspotQuerySchema(StatsRangeSchema):
    kind = fields.String(
        validate=validate.OneOf(TRAFFIC_KINDS),
        metadata={"description": "Only traffic tips of this kind."},
    )


class PolygonSchema(Schema):
    type = fields.String(metadata={"description": '"Polygon"'})
    coordinates = fields.List(
        fields.List(fields.List(fields.Float())),
        metadata={"description": "One ring of [longitude, latitude]: the cell's corners."},
    )


class CentreSchema(Schema):
    lat = fields.Float()
    lon = fields.Float()


class HotspotPropertiesSchema(Schema):
    count = fields.Integer(metadata={"description": "Traffic tips in the cell (at least 3)."})
    kinds = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Tips per traffic kind, for the kinds counted 3 or more times."},
    )
    centre = fields.Nested(CentreSchema)
    areas = fields.List(
        fields.String(), metadata={"description": "The areas the tips came from, busiest first."}
    )


class HotspotFeatureSchema(Schema):
    type = fields.String(metadata={"description": '"Feature"'})
    geometry = fields.Nested(PolygonSchema)
    properties = fields.Nested(HotspotPropertiesSchema)


class CellSizeSchema(Schema):
    lat_step = fields.Float(metadata={"description": "Degrees of latitude per cell."})
    lon_step = fields.Float(metadata={"description": "Degrees of longitude per cell."})


class HotspotCollectionSchema(Schema):
    """Cells with at least ``smallest_count`` traffic tips, busiest first (RFC 7946)."""

    type = fields.String(metadata={"description": '"FeatureCollection"'})
    features = fields.List(fields.Nested(HotspotFeatureSchema))
    cell = fields.Nested(CellSizeSchema)
    smallest_count = fields.Integer(
        metadata={"description": "Cells with fewer tips than this are left out."}
    )
