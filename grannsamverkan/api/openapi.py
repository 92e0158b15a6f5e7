"""How the OpenAPI document describes the schemas marshmallow cannot express alone."""

from __future__ import annotations

from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter

from grannsamverkan.schemas.common import OneOfSchema


class Converter(OpenAPIConverter):
    """A ``OneOfSchema`` is documented as ``oneOf`` its variants (each its own component)."""

    def schema2jsonschema(self, schema: Any) -> dict[str, Any]:
        if isinstance(schema, OneOfSchema):
            variants = [self.resolve_nested_schema(variant) for variant in schema.variants]
            return {"oneOf": variants, "description": (type(schema).__doc__ or "").strip()}
        return super().schema2jsonschema(schema)


class Plugin(MarshmallowPlugin):
    Converter = Converter


def spec_kwargs() -> dict[str, Any]:
    """For ``api.init_app(app, spec_kwargs=...)``: a fresh plugin per app."""
    return {"marshmallow_plugin": Plugin()}
