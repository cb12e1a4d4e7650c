"""Schemathesis on every operation that takes query parameters, with the parameters mutated, on
both databases: no 5xx, and every status as documented (issue 13).

test_fuzz_openapi.py covers the whole API on SQLite. This module aims at the boundary that once
let a NUL in `siteKey` reach PostgreSQL (500) and a cursor encoding a huge number reach SQLite
(OverflowError): besides schemathesis' own positive and negative values, each query parameter is
sometimes replaced by a hostile one (NUL, huge or negative numbers, cursors that decode to numbers
no column can hold, very long strings) or by a real value (IDs, a real cursor) so that the good
paths are checked too.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Iterator

import hypothesis.strategies as st
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.test_fuzz_openapi import DOCUMENT, SEED, World, _make_world, _real_ids

MAX_EXAMPLES = 25


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


HOSTILE = [
    "a\x00b", "\x00", "1\x00", "-1", "0", "101", "501", "1e3", "9" * 40, str(2 ** 63), " 5",
    "x" * 5000, "%00", "\u202e\ufeff", _cursor(f"s{10 ** 30}"), _cursor(f"s{2 ** 63}"),
    _cursor("s-5"), _cursor(f"a{10 ** 30}_1"), _cursor(f"a1_{2 ** 64}"), _cursor("a1_2_3"),
    "=" * 10, "s" * 201,
]


def _query_document() -> dict[str, Any]:
    """The served document, with only the operations that declare query parameters."""
    document = json.loads(json.dumps(DOCUMENT))
    paths: dict[str, Any] = {}
    for path, item in document["paths"].items():
        kept = {method: op for method, op in item.items()
                if isinstance(op, dict) and any(p.get("in") == "query" for p in op.get("parameters", []))}
        if kept:
            paths[path] = kept
    document["paths"] = paths
    return document


schema = schemathesis.openapi.from_dict(_query_document(), config=schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                   "with-security-parameters": False, "mode": "all"},
    "phases": {"coverage": {"unexpected-methods": []}},
}))
WORLDS: list[World] = []


@pytest.fixture(scope="module")
def world(botaz) -> Iterator[World]:
    WORLDS.append(_make_world(botaz))
    yield WORLDS[-1]
    WORLDS.clear()


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not WORLDS or not path_parameters:
        return st.just(path_parameters)
    ids = _real_ids(WORLDS[-1], context.operation.method, context.operation.path)
    name = "visitorId" if "visitorId" in path_parameters else "id"
    if not ids or name not in path_parameters:
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters),
                     st.sampled_from(ids).map(lambda v: {**path_parameters, name: v}))


@schema.hook
def flatmap_query(context, query):
    """Sometimes one hostile value, sometimes a real site key or message ID."""
    if not isinstance(query, dict):
        return st.just(query)
    declared = [p["name"] for p in context.operation.definition.raw.get("parameters", [])
                if p.get("in") == "query"]
    options = [st.just(query)]
    if declared:
        options.append(st.tuples(st.sampled_from(declared), st.sampled_from(HOSTILE))
                       .map(lambda pair: {**query, pair[0]: pair[1]}))
    if WORLDS and "siteKey" in declared:
        options.append(st.just({**query, "siteKey": WORLDS[-1].site_key}))
    if WORLDS and "after" in declared:
        options.append(st.sampled_from(WORLDS[-1].message_ids).map(lambda m: {**query, "after": m}))
    return st.one_of(*options)


@schema.parametrize()
def test_query_parameters_never_crash_the_server(case, world: World, botaz) -> None:
    security = case.operation.definition.raw.get("security") or []
    schemes = {name for requirement in security for name in requirement}
    headers: dict[str, str] = {}
    if "visitorToken" in schemes:
        headers["Authorization"] = f"Bearer {world.visitor_token}"
    elif "apiToken" in schemes:
        headers["Authorization"] = f"Bearer {world.token}"
    case.call_and_validate(base_url=botaz.url, headers=headers,
                           checks=[not_a_server_error, status_code_conformance], timeout=15)
