"""Declarative request/response shapes: one definition checks bodies and writes OpenAPI.

Request bodies are msgspec Structs (`Body`): decoded straight from the request's bytes, unknown
keys refused, `UNSET` keeping a missing key apart from `null` (the seed's visitor PUT removes a
value with null and leaves a missing key alone). msgspec's errors are translated here into the
one plain sentence naming the field that the API has always answered (`text is required.`).
Response shapes are Structs too (`Reply`), used for the OpenAPI document; the serializers still
build dicts. `F`/`Obj` remain for the response shapes not yet written as Structs.
Choice and measurement: docs/design.md, docs/benchmarks.md.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from msgspec import UNSET, Meta, UnsetType  # noqa: F401  (re-exported for the declarations)

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


# ---------------------------------------------------------------------------------------------
# Structs: request bodies (Body) and documented responses (Reply).

_PLANS: dict[type, tuple[tuple[str, str, int | None, Any], ...]] = {}


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A request body. Fields that may be left out default to UNSET; `present()` lists the rest.

    After msgspec's own checks (types, lengths, enums) come the ones it lacks: no NUL character
    in any string (PostgreSQL cannot store one), a `min_length` judged on the stripped text (so
    "   " is empty), and email addresses (fields declared with `email=True`)."""

    def __post_init__(self) -> None:
        plan = _PLANS.get(type(self))
        if plan is None:
            plan = _PLANS[type(self)] = _plan(type(self))
        for attr, name, min_length, email in plan:
            value = getattr(self, attr)
            if isinstance(value, str):
                if "\x00" in value:
                    raise Invalid(f"{name} must not contain NUL characters.")
                if min_length is not None and len(value.strip()) < min_length:
                    raise Invalid(f"{name} must not be empty." if min_length == 1
                                  else f"{name} must be at least {min_length} characters.")
                # A blank value of a nullable email field removes it, as null does (contact fields).
                if email and not (email == "blank-ok" and not value.strip()) \
                        and not _EMAIL_RE.match(value.strip()):
                    raise Invalid(f"{name} must be a valid email address.")
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, str) and "\x00" in item:
                        raise Invalid(f"{name}[{i}] must not contain NUL characters.")


class Reply(msgspec.Struct, kw_only=True):
    """A documented response shape: fields without a default are always present (`required`)."""


def present(body: msgspec.Struct) -> dict[str, Any]:
    """The body's keys that were sent (UNSET left out), by their JSON names."""
    # The class's own tuples, not msgspec.structs.fields(), which evaluates every annotation
    # again on each call (about 250 us a request, measured by bench/inprocess.py putv).
    cls = type(body)
    out = {}
    for name, key in zip(cls.__struct_fields__, cls.__struct_encode_fields__):
        value = getattr(body, name)
        if value is not UNSET:
            out[key] = value
    return out


def Str(description: str = "", *, max_length: int | None = None, min_length: int | None = None,
        email: bool = False, nullable: bool = False, examples: list[Any] | None = None,
        fmt: str | None = None) -> Any:
    """A string field's type: `text: Str("Message text.", min_length=1, max_length=10_000)`.

    `min_length` counts the stripped text (Body.__post_init__); msgspec sees only max_length,
    so a blank string reaches the sentence "text must not be empty." rather than a length error."""
    extra: dict[str, Any] = {}
    if min_length is not None:
        extra["minLength"] = min_length
    if fmt:
        extra["format"] = fmt
    if email:
        extra.update(format="email", pattern=EMAIL_PATTERN)
    inner: Any = typing.Annotated[str, Meta(max_length=max_length)] if max_length is not None else str
    meta = Meta(description=description or None, examples=examples,
                extra_json_schema=extra or None,
                extra={"min_length": min_length, "email": email and ("blank-ok" if nullable else True)})
    if nullable:
        return typing.Annotated[inner | None, meta]
    return typing.Annotated[inner, meta]


def D(kind: Any, description: str) -> Any:
    """Any other field's type with its description: `enabled: D(bool, "Whether ...")`."""
    return typing.Annotated[kind, Meta(description=description)]


def _plan(cls: type) -> tuple[tuple[str, str, int | None, Any], ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    plan = []
    for spec in msgspec.structs.fields(cls):
        min_length, email, textual = None, False, False
        for meta, kind in _walk(hints[spec.name]):
            if isinstance(meta, Meta) and meta.extra:
                min_length = meta.extra.get("min_length", min_length)
                email = meta.extra.get("email", email)
            if kind is str or kind is list:
                textual = True
        if textual:
            plan.append((spec.name, spec.encode_name, min_length, email))
    return tuple(plan)


def _walk(hint: Any) -> Iterable[tuple[Any, Any]]:
    """(metadata, base type) pairs found in a field's type, through Annotated and unions."""
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        base, *metas = typing.get_args(hint)
        for meta in metas:
            yield meta, None
        yield from _walk(base)
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            yield from _walk(arg)
    elif origin is list:
        yield None, list
    else:
        yield None, hint


def is_struct(spec: Any) -> bool:
    return isinstance(spec, type) and issubclass(spec, msgspec.Struct)


def convert(spec: type[Any], data: Any) -> Any:
    """A body already parsed (a websocket frame, a test, an email): checked into the Struct.

    A Struct naming an `__extra__` field (chat/activity.Preform) gets every key it does not
    declare gathered into that field, for the domain to check against the account's own keys (a
    Struct cannot know those); the field's own name, sent as a key, is one of those keys."""
    extra_field = getattr(spec, "__extra__", None)
    if extra_field and isinstance(data, dict):
        names = {key for name, key in zip(spec.__struct_fields__, spec.__struct_encode_fields__)
                 if name != extra_field}
        extra = {k: v for k, v in data.items() if k not in names}
        data = {k: v for k, v in data.items() if k in names}
        if extra:
            data[extra_field] = extra
    try:
        return msgspec.convert(data, spec, strict=True)
    except msgspec.ValidationError as exc:
        raise Invalid(error_sentence(spec, str(exc))) from None


@functools.lru_cache(maxsize=None)
def decoder(spec: type[Any]) -> msgspec.json.Decoder[Any] | None:
    """A decoder from bytes for a body whose nesting its type bounds; None for a body with
    free-form parts (`dict`, `Any`), which must first pass the JSON depth limit (and for one
    gathering its undeclared keys, `__extra__`: convert() does that)."""
    if getattr(spec, "__extra__", None):
        return None
    return msgspec.json.Decoder(spec) if _bounded(msgspec.inspect.type_info(spec), set()) else None


def _bounded(info: Any, seen: set[Any]) -> bool:
    mi = msgspec.inspect
    if isinstance(info, (mi.AnyType, mi.DictType)):
        return False
    if isinstance(info, mi.StructType):
        if info.cls in seen:
            return True
        seen.add(info.cls)
        return all(_bounded(f.type, seen) for f in info.fields)
    if isinstance(info, mi.UnionType):
        return all(_bounded(t, seen) for t in info.types)
    if isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
        return _bounded(info.item_type, seen)
    if isinstance(info, mi.Metadata):
        return _bounded(info.type, seen)
    return True


_MESSAGE = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_KIND_WORDS = {"str": "a string", "int": "an integer", "bool": "true or false", "array": "an array",
               "object": "an object", "float": "a number", "null": "null"}


def error_sentence(spec: type[Any], error: str) -> str:
    """msgspec's ValidationError text as the API's one sentence naming the field."""
    match = _MESSAGE.match(error)
    assert match is not None  # the pattern matches any text
    what, path = match["what"], (match["path"] or "")
    name = path.lstrip(".")
    if m := re.fullmatch(r"Object contains unknown field `(.+)`", what):
        accepted = ", ".join(_accepted(_type_at(spec, path)))
        return f"{_join(name, m[1])} is not an accepted field here; accepted fields: {accepted}."
    if m := re.fullmatch(r"Object missing required field `(.+)`", what):
        info = _type_at(spec, path)
        hints = getattr(getattr(info, "cls", None), "required_hints", {})
        return hints.get(m[1]) or f"{_join(name, m[1])} is required."
    if not name and what.startswith("Expected `object`"):
        return "The request body must be a JSON object."
    if m := re.fullmatch(r"Expected `([^`]+)`, got `([^`]+)`", what):
        expected = [k for k in m[1].split(" | ") if k != "null"] or ["null"]
        words = " or ".join(_KIND_WORDS.get(k, k) for k in expected)
        return f"{name} must be {words}, not null." if m[2] == "null" else f"{name} must be {words}."
    if m := re.fullmatch(r"Expected `str` of length <= (\d+)", what):
        return f"{name} must be at most {m[1]} characters."
    if m := re.fullmatch(r"Expected `str` of length >= (\d+)", what):
        return f"{name} must not be empty." if m[1] == "1" else f"{name} must be at least {m[1]} characters."
    if m := re.fullmatch(r"Expected `(?:array|object)` of length <= (\d+)", what):
        return f"{name} must have at most {m[1]} items."
    if m := re.fullmatch(r"Expected `(?:int|float)` (>=|<=|>|<) (-?[\d.]+)", what):
        words = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than"}[m[1]]
        return f"{name} must be {words} {m[2]}."
    if what.startswith("Invalid enum value"):
        allowed = _declared_literals(spec, path) or _literals(_type_at(spec, path))
        if allowed:
            return f"{name} must be one of: {', '.join(map(str, allowed))}."
    return f"{name or 'The request body'} is not valid: {what}."


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _type_at(spec: type[Any], path: str) -> Any:
    """The msgspec type info at a `.a.b[0]` path of `spec`, None when it cannot be followed."""
    mi = msgspec.inspect
    info: Any = mi.type_info(spec)
    for key, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path):
        info = _unwrap(info)
        if key and isinstance(info, mi.StructType):
            info = next((f.type for f in info.fields if f.encode_name == key), None)
        elif index and isinstance(info, (mi.ListType, mi.VarTupleType)):
            info = info.item_type
        elif key and isinstance(info, mi.DictType):
            info = info.value_type
        else:
            return None
    return _unwrap(info)


# type_info leaves UNSET out of unions; older msgspec versions may name it (not in the stubs).
_UNSET_INFO: Any = getattr(msgspec.inspect, "UnsetType", msgspec.inspect.NoneType)


def _unwrap(info: Any) -> Any:
    mi = msgspec.inspect
    while True:
        if isinstance(info, mi.Metadata):
            info = info.type
        elif isinstance(info, mi.UnionType):
            useful = [t for t in info.types if not isinstance(t, (mi.NoneType, _UNSET_INFO))]
            if len(useful) != 1:
                return info
            info = useful[0]
        else:
            return info


def _accepted(info: Any) -> list[str]:
    return [f.encode_name for f in info.fields] if isinstance(info, msgspec.inspect.StructType) else []


def _declared_literals(spec: type[Any], path: str) -> list[Any]:
    """The allowed values at `path` in their declared order (msgspec's type info sorts them)."""
    keys = re.findall(r"\.([^.\[]+)", path)
    if not keys:
        return []
    parent = _type_at(spec, path[:path.rindex("." + keys[-1])])
    if not isinstance(parent, msgspec.inspect.StructType):
        return []
    field = next((f for f in parent.fields if f.encode_name == keys[-1]), None)
    if field is None:
        return []
    stack = [typing.get_type_hints(parent.cls, include_extras=True)[field.name]]
    while stack:
        hint = stack.pop(0)
        if typing.get_origin(hint) is typing.Literal:
            return list(typing.get_args(hint))
        stack.extend(typing.get_args(hint))
    return []


def _literals(info: Any) -> list[Any]:
    mi = msgspec.inspect
    if isinstance(info, mi.LiteralType):
        return list(info.values)
    if isinstance(info, mi.EnumType):
        return [m.value for m in info.cls]
    return []


# ---------------------------------------------------------------------------------------------
# OpenAPI components from the same types.

def schema_name(spec: Any) -> str:
    return spec.__name__ if is_struct(spec) else spec.name


def components(specs: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """JSON Schemas by name for Structs and (the remaining) Obj declarations, with every Struct
    they reference; nullable scalars are written `"type": ["string", "null"]`."""
    specs = list({id(s): s for s in specs}.values())
    structs = [s for s in specs if is_struct(s)]
    out: dict[str, dict[str, Any]] = {}
    if structs:
        _, schemas = msgspec.json.schema_components(structs, ref_template="#/components/schemas/{name}")
        by_name = {s.__name__: s for s in structs}
        for name, schema in schemas.items():
            schema.pop("title", None)
            schema["properties"] = {k: _tidy(v) for k, v in schema.get("properties", {}).items()}
            extra_field = getattr(by_name.get(name), "__extra__", None)
            if extra_field:  # gathered from the undeclared keys, not a key of its own
                schema["properties"].pop(extra_field, None)
                schema["additionalProperties"] = True
            example = getattr(by_name.get(name), "__example__", None)
            if example is not None:
                schema["examples"] = [example]
            if not schema.get("required"):
                schema.pop("required", None)
            out[name] = schema
    for spec in specs:
        if not is_struct(spec):
            out[spec.name] = spec.json_schema()
    return out


def _tidy(prop: dict[str, Any]) -> dict[str, Any]:
    """anyOf [X, null] of a scalar X becomes X with type [X, "null"], as OpenAPI readers expect."""
    options = prop.get("anyOf")
    if not options or len(options) != 2 or {"type": "null"} not in options:
        return prop
    other = next(o for o in options if o != {"type": "null"})
    if "type" not in other or not isinstance(other["type"], str):
        return prop
    merged = {k: v for k, v in prop.items() if k != "anyOf"} | other
    merged["type"] = [other["type"], "null"]
    return merged
