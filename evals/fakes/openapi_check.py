"""A minimal OpenAPI 3.0 schema check for the fakes' payloads and the bodies clients send."""

from __future__ import annotations

from typing import Any


def schema_problems(
    value: Any, schema: dict[str, Any], schemas: dict[str, Any], where: str = "$"
) -> list[str]:
    """Minimal OpenAPI 3.0 check of ``value``: types, nullable, enums, required, unknown property names.

    Unknown names count as problems (where the schema lists properties) so a misspelt field is caught.
    """
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null not allowed"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    checks = {
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if kind in checks and not checks[kind](value):
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    problems: list[str] = []
    if kind == "array":
        for index, item in enumerate(value):
            problems += schema_problems(item, schema.get("items", {}), schemas, f"{where}[{index}]")
    if kind == "object":
        properties = schema.get("properties", {})
        problems += [f"{where}: missing {name}" for name in schema.get("required", []) if name not in value]
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in properties:
                problems += schema_problems(item, properties[name], schemas, f"{where}.{name}")
            elif isinstance(extra, dict):
                problems += schema_problems(item, extra, schemas, f"{where}.{name}")
            elif properties:
                problems.append(f"{where}: unknown property {name!r}")
    return problems
