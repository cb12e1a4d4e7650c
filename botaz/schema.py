"""Declarative request/response shapes: one definition validates bodies and writes OpenAPI.

A tiny in-house validator rather than pydantic or msgspec: error messages must name the field in
a plain sentence, `null` must stay distinguishable from a missing key (the seed's PUT uses it to
remove values), and validating a three-key body should cost microseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .chat.errors import Invalid

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"
_EMAIL_RE = re.compile(EMAIL_PATTERN)
_TYPES: dict[str, Any] = {"string": str, "boolean": bool, "integer": int, "array": list, "object": dict}
_NAMES = {"string": "a string", "boolean": "true or false", "integer": "an integer",
          "array": "an array", "object": "an object"}


@dataclass(frozen=True)
class F:
    type: str
    description: str = ""
    required: bool = False
    nullable: bool = False
    max_length: int | None = None
    min_length: int | None = None
    format: str | None = None
    items: dict[str, Any] | None = None
    enum: tuple[Any, ...] | None = None
    example: Any = None
    ref: str | None = None

    def check(self, name: str, value: Any) -> Any:
        if value is None:
            if self.nullable:
                return None
            raise Invalid(f"{name} must be {_NAMES[self.type]}, not null.")
        expected = _TYPES[self.type]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise Invalid(f"{name} must be {_NAMES[self.type]}.")
        if self.type == "string":
            if "\x00" in value:
                # PostgreSQL cannot store NUL in text; refuse it the same way on every database.
                raise Invalid(f"{name} must not contain NUL characters.")
            if self.min_length is not None and len(value.strip()) < self.min_length:
                raise Invalid(f"{name} must not be empty." if self.min_length == 1
                              else f"{name} must be at least {self.min_length} characters.")
            if self.max_length is not None and len(value) > self.max_length:
                raise Invalid(f"{name} must be at most {self.max_length} characters.")
            if self.format == "email" and not _EMAIL_RE.match(value.strip()):
                raise Invalid(f"{name} must be a valid email address.")
        if self.enum is not None and value not in self.enum:
            raise Invalid(f"{name} must be one of: {', '.join(map(str, self.enum))}.")
        if self.type == "array" and self.items is not None:
            self._check_items(name, value)
        return value

    def _check_items(self, name: str, items: list[Any]) -> None:
        assert self.items is not None
        kind = self.items.get("type")
        expected = _TYPES.get(kind) if isinstance(kind, str) else None
        allowed = self.items.get("enum")
        for i, item in enumerate(items):
            if expected is not None and (not isinstance(item, expected)
                                         or (expected is int and isinstance(item, bool))):
                raise Invalid(f"{name}[{i}] must be {_NAMES[str(kind)]}.")
            if isinstance(item, str) and "\x00" in item:
                raise Invalid(f"{name}[{i}] must not contain NUL characters.")
            if allowed is not None and item not in allowed:
                raise Invalid(f"{name}[{i}] must be one of: {', '.join(map(str, allowed))}.")

    def json_schema(self) -> dict[str, Any]:
        if self.ref:
            schema: dict[str, Any] = {"$ref": f"#/components/schemas/{self.ref}"}
            return {"anyOf": [schema, {"type": "null"}]} if self.nullable else schema
        schema = {"type": [self.type, "null"] if self.nullable else self.type}
        if self.description:
            schema["description"] = self.description
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.min_length is not None:
            schema["minLength"] = self.min_length
        if self.format:
            schema["format"] = self.format
            if self.format == "email":
                schema["pattern"] = EMAIL_PATTERN
        if self.items is not None:
            schema["items"] = self.items
        if self.enum is not None:
            schema["enum"] = list(self.enum)
        if self.example is not None:
            schema["examples"] = [self.example]
        return schema


@dataclass(frozen=True)
class Obj:
    name: str
    fields: dict[str, F]
    description: str = ""
    additional: bool = False
    example: dict[str, Any] | None = None
    required_any: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self, body: Any) -> dict[str, Any]:
        """Returns the keys present in `body`, checked; unknown keys are refused by name."""
        if not isinstance(body, dict):
            raise Invalid("The request body must be a JSON object.")
        out: dict[str, Any] = {}
        for key, value in body.items():
            spec = self.fields.get(key)
            if spec is None:
                if self.additional:
                    continue
                allowed = ", ".join(self.fields)
                raise Invalid(f"{key} is not an accepted field here; accepted fields: {allowed}.")
            out[key] = spec.check(key, value)
        for key, spec in self.fields.items():
            if spec.required and key not in out:
                raise Invalid(f"{key} is required.")
        return out

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {k: v.json_schema() for k, v in self.fields.items()},
            "additionalProperties": self.additional,
        }
        required = [k for k, v in self.fields.items() if v.required]
        if required:
            schema["required"] = required
        if self.description:
            schema["description"] = self.description
        if self.example is not None:
            schema["examples"] = [self.example]
        schema.update(self.extra)
        return schema


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}
