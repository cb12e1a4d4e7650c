"""Decode + validate two seed request bodies from raw bytes: which validator should botaz use?

    .venv/bin/python bench/bodies.py            # prints the table
    .venv/bin/python bench/bodies.py --doc      # also writes it into docs/benchmarks.md

Measures, per body, the time from the raw request bytes to a checked value with
(a) orjson + the former in-house validator (F/Obj, reimplemented here as it was, so the figure
    stays comparable after its removal),
(b) msgspec.json.decode(raw, type=Struct),
(c) pydantic v2 Model.model_validate_json(raw) (skipped when pydantic is not installed).
Bodies: POST /api/messages/ and PUT /api/visitors/:id of the seed API.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sys
import timeit
from pathlib import Path
from typing import Annotated, Any

import msgspec
import orjson
from msgspec import UNSET, Meta, Struct, UnsetType

ROOT = Path(__file__).resolve().parent.parent
MESSAGE = (b'{"userId": "MvSzqx36KksKNxHmK", "visitorId": "BtR7qAyvZfTWoaC7a", '
           b'"text": "Good morning! Can I help you?"}')
VISITOR = (b'{"email": "anar@example.com", "name": "Anar Hasanzade", "phone": "+994124801574", '
           b'"notes": "Asked about new functionality"}')
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


# (a) the in-house validator as it was (botaz/schema.py before msgspec), reduced to what the two
# bodies use: type, required, nullable, min/max length, NUL refusal, email format.
class _F:
    def __init__(self, required: bool = False, nullable: bool = False, min_length: int | None = None,
                 max_length: int | None = None, email: bool = False) -> None:
        self.required, self.nullable, self.email = required, nullable, email
        self.min_length, self.max_length = min_length, max_length

    def check(self, name: str, value: Any) -> Any:
        if value is None:
            if self.nullable:
                return None
            raise ValueError(f"{name} must be a string, not null.")
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string.")
        if "\x00" in value:
            raise ValueError(f"{name} must not contain NUL characters.")
        if self.min_length is not None and len(value.strip()) < self.min_length:
            raise ValueError(f"{name} must not be empty.")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValueError(f"{name} must be at most {self.max_length} characters.")
        if self.email and not EMAIL.match(value.strip()):
            raise ValueError(f"{name} must be a valid email address.")
        return value


class _Obj:
    def __init__(self, fields: dict[str, _F]) -> None:
        self.fields = fields

    def validate(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ValueError("The request body must be a JSON object.")
        out = {}
        for key, value in body.items():
            spec = self.fields.get(key)
            if spec is None:
                raise ValueError(f"{key} is not an accepted field here.")
            out[key] = spec.check(key, value)
        for key, spec in self.fields.items():
            if spec.required and key not in out:
                raise ValueError(f"{key} is required.")
        return out


OBJ_MESSAGE = _Obj({"userId": _F(required=True), "visitorId": _F(required=True),
                    "text": _F(required=True, min_length=1, max_length=10_000)})
OBJ_VISITOR = _Obj({"name": _F(nullable=True, max_length=200),
                    "email": _F(nullable=True, max_length=254, email=True),
                    "phone": _F(nullable=True, max_length=50),
                    "notes": _F(nullable=True, max_length=5000)})


def obj_message(raw: bytes) -> Any:
    return OBJ_MESSAGE.validate(orjson.loads(raw))


def obj_visitor(raw: bytes) -> Any:
    return OBJ_VISITOR.validate(orjson.loads(raw))


# (b) msgspec: the Structs botaz uses (botaz/chat/schemas.py), checks in __post_init__ included.
def msgspec_cases() -> tuple[Any, Any]:
    sys.path.insert(0, str(ROOT))
    from botaz.chat.schemas import MessageCreate, VisitorEdit

    message_decoder = msgspec.json.Decoder(MessageCreate)
    visitor_decoder = msgspec.json.Decoder(VisitorEdit)
    return message_decoder.decode, visitor_decoder.decode


class BareMessage(Struct, forbid_unknown_fields=True):
    userId: str
    visitorId: str
    text: Annotated[str, Meta(max_length=10_000)]


class BareVisitor(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(max_length=200)] | None | UnsetType = UNSET
    email: Annotated[str, Meta(max_length=254)] | None | UnsetType = UNSET
    phone: Annotated[str, Meta(max_length=50)] | None | UnsetType = UNSET
    notes: Annotated[str, Meta(max_length=5000)] | None | UnsetType = UNSET


def msgspec_bare_cases() -> tuple[Any, Any]:
    """The same Structs without the post-decode checks (NUL, stripped emptiness, email): what
    msgspec alone costs."""
    return msgspec.json.Decoder(BareMessage).decode, msgspec.json.Decoder(BareVisitor).decode


# (c) pydantic v2, the same constraints (NUL and stripped-empty checks as validators).
def pydantic_cases() -> tuple[Any, Any] | None:
    try:
        import pydantic
    except ImportError:
        return None
    from pydantic import BaseModel, ConfigDict, Field, field_validator

    def clean(value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    class PMessage(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        userId: str
        visitorId: str
        text: Annotated[str, Field(min_length=1, max_length=10_000)]

        @field_validator("*")
        @classmethod
        def _clean(cls, value: Any) -> Any:
            value = clean(value)
            if isinstance(value, str) and not value.strip():
                raise ValueError("must not be empty")
            return value

    class PVisitor(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        name: Annotated[str | None, Field(max_length=200)] = None
        email: Annotated[str | None, Field(max_length=254)] = None
        phone: Annotated[str | None, Field(max_length=50)] = None
        notes: Annotated[str | None, Field(max_length=5000)] = None

        @field_validator("*")
        @classmethod
        def _clean(cls, value: Any) -> Any:
            return clean(value)

        @field_validator("email")
        @classmethod
        def _email(cls, value: Any) -> Any:
            if value is not None and not EMAIL.match(value.strip()):
                raise ValueError("must be a valid email address")
            return value

    del pydantic
    return PMessage.model_validate_json, PVisitor.model_validate_json


def measure(cases: list[tuple[str, Any, Any]], rounds: int = 15) -> list[tuple[str, float, float]]:
    """Microseconds per body, the best of `rounds` batches per candidate and body. The candidates
    take turns batch by batch, so a busy moment of a shared machine slows all of them alike."""
    for _, message, visitor in cases:  # each must accept its body: fail loudly, not time errors
        message(MESSAGE)
        visitor(VISITOR)
    timers = [(timeit.Timer(lambda f=m: f(MESSAGE)), timeit.Timer(lambda f=v: f(VISITOR)))
              for _, m, v in cases]
    number = 20_000
    best = [[float("inf"), float("inf")] for _ in cases]
    for _ in range(rounds):
        for i, pair in enumerate(timers):
            for j, timer in enumerate(pair):
                best[i][j] = min(best[i][j], timer.timeit(number) / number * 1e6)
    return [(name, b[0], b[1]) for (name, _, _), b in zip(cases, best)]


def run() -> list[tuple[str, float, float]]:
    cases: list[tuple[str, Any, Any]] = [("orjson + in-house F/Obj", obj_message, obj_visitor)]
    m_message, m_visitor = msgspec_cases()
    cases.append(("msgspec.json.decode(raw, type=Struct), botaz's Body checks", m_message, m_visitor))
    b_message, b_visitor = msgspec_bare_cases()
    cases.append(("msgspec alone (no NUL/blank/email checks; for reference)", b_message, b_visitor))
    pydantic = pydantic_cases()
    if pydantic is not None:
        cases.append(("pydantic v2 model_validate_json", *pydantic))
    return measure(cases)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def versions() -> str:
    out = [f"Python {platform.python_version()}", f"orjson {orjson.__version__}",
           f"msgspec {msgspec.__version__}"]
    try:
        import pydantic
        out.append(f"pydantic {pydantic.VERSION}")
    except ImportError:
        pass
    return ", ".join(out)


def table(rows: list[tuple[str, float, float]]) -> str:
    lines = ["| validator | POST /api/messages/ body | PUT /api/visitors/:id body |", "|---|---:|---:|"]
    lines += [f"| {name} | {a:.2f} µs | {b:.2f} µs |" for name, a, b in rows]
    return "\n".join(lines)


def write_doc(text: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    doc = path.read_text()
    start, end = "<!-- bench/bodies.py -->", "<!-- /bench/bodies.py -->"
    block = f"{start}\n{text}\n{end}"
    if start in doc:
        doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(doc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", action="store_true", help="write the section of docs/benchmarks.md")
    args = parser.parse_args()
    rows = run()
    result = table(rows)
    print(result)
    if args.doc:
        machine = f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}"
        write_doc("\n".join([
            "## Request body validation", "",
            "From the raw bytes of a request body to a checked value: the seed's `POST",
            "/api/messages/` and `PUT /api/visitors/:id` bodies, microseconds per body: the best of",
            "15 batches of 20,000, the candidates taking turns batch by batch. Generated by",
            "`bench/bodies.py --doc`.", "",
            f"Date: {dt.datetime.now(dt.timezone.utc):%a %b %d %H:%M:%S UTC %Y}; machine: {machine}",
            "(shared with other jobs: absolute figures are noisy);",
            f"{versions()}.", "",
            result, "",
            "botaz uses msgspec with its checks ([design](design.md#typed-request-bodies-msgspec)):",
            "faster than the former validator and than pydantic v2 given the same rules. Most of",
            "its time is botaz's own checks (NUL, blank text, email format), not msgspec.",
        ]))


if __name__ == "__main__":
    main()
