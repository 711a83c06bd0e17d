"""Autotask's swagger (2.0) as a check of the bodies Deskhand sends, via the OpenAPI check."""

from __future__ import annotations

from typing import Any

from evals.fakes.openapi_check import schema_problems


def _fold_schema(schema: Any) -> Any:
    """Lower-case property names (Autotask's swagger is PascalCase, its JSON camelCase). Swagger 2.0 has
    no ``nullable``; Autotask takes ``null`` to clear a field that is not required, so those are nullable.
    The filter's ``value`` is typed as a .NET wrapper object in the swagger but sent as a plain scalar."""
    if isinstance(schema, list):
        return [_fold_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    folded = {k: _fold_schema(v) for k, v in schema.items() if k not in ("properties", "required")}
    if "properties" in schema:
        required = {name.lower() for name in schema.get("required", [])}
        folded["required"] = sorted(required)
        folded["properties"] = {
            name.lower(): {**_fold_schema(prop), "nullable": name.lower() not in required}
            for name, prop in schema["properties"].items()
        }
    return folded


def _fold_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).lower(): _fold_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fold_value(v) for v in value]
    return value


def swagger_problems(value: Any, definition: str, definitions: dict[str, Any]) -> list[str]:
    """``value`` checked against a swagger definition with key case ignored (see ``_fold_schema``)."""
    folded = {name: _fold_schema(schema) for name, schema in definitions.items()}
    if "Filter" in folded:
        folded["Filter"]["properties"]["value"] = {}
    return schema_problems(_fold_value(value), {"$ref": f"#/definitions/{definition}"}, folded)
