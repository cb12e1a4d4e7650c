"""Reports over the conversations opened in a window: response and resolution times, ratings,
per agent and per day, and the CSV export.

Percentiles interpolate linearly between the two nearest ranks (numpy's default): the median of
10, 20, 30, 40 is 25; no value gives null. Every statement reads one range of a covering index.
The summary lets the database count (and, on PostgreSQL, rank); the breakdown reads the window's
rows and computes the same figures here (tests hold the two to one result).
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any, AsyncIterator, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..ids import iso_ms, now_ms
from ..store.db import Row
from .accounts import Principal
from .context import Chat
from .errors import Invalid
from .settings import get_settings

DEFAULT_DAYS = 30
MAX_DAYS = 400  # the breakdown keeps one bucket a day
EXPORT_PAGE = 1000
CSV_COLUMNS = ("conversationId", "visitorId", "visitorName", "visitorEmail", "openedAt", "openedBy",
               "firstResponseAt", "firstResponderId", "firstResponseMs", "assigneeId",
               "resolvedAt", "resolvedBy", "resolutionMs", "resolvedByBot", "rating",
               "ratingComment", "labels")


def percentile(values: list[int], num: int, den: int) -> int | None:
    """The num/den quantile, interpolated between the two nearest ranks, in integer arithmetic
    (the SQL of the summary picks the same ranks)."""
    if not values:
        return None
    ordered = sorted(values)  # linear on a list sorted already
    low, rest = divmod((len(ordered) - 1) * num, den)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * rest / den)


def _parse_time(name: str, raw: str, end: bool) -> int:
    """ISO 8601 to ms. A date alone is midnight UTC; as `to`, the end of that day."""
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
            if end:
                moment += timedelta(days=1)
        else:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        raise Invalid(f"{name} must be an ISO 8601 date or time, like 2026-11-01 or "
                      "2026-11-01T00:00:00Z.") from None
    return int(moment.timestamp() * 1000)


def check_window(params: Mapping[str, Any]) -> tuple[int, int]:
    """[from, to) in ms; without them, the last 30 days."""
    raw_from, raw_to = params.get("from"), params.get("to")
    end = _parse_time("to", raw_to, True) if raw_to else now_ms()
    start = _parse_time("from", raw_from, False) if raw_from else end - DEFAULT_DAYS * 86_400_000
    if start >= end:
        raise Invalid("from must be before to.")
    return start, end


def _check_zone(raw: Any) -> ZoneInfo:
    try:
        return ZoneInfo(raw or "UTC")
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise Invalid("tz must be a time zone name like Europe/Berlin.") from None


def _stats(values: list[int]) -> dict[str, int | None]:
    values = sorted(values)  # once: percentile's own sort is then linear
    return {"median": percentile(values, 1, 2), "p90": percentile(values, 9, 10)}


def _first_response_ms(row: Row) -> int | None:
    # only conversations the visitor started: one an agent started had nobody waiting
    if row["first_response_at"] is None or row["opened_by"] is not None:
        return None
    return row["first_response_at"] - row["opened_at"]


def _resolution_ms(row: Row) -> int | None:
    return None if row["resolved_at"] is None else row["resolved_at"] - row["opened_at"]


def _bot_only(row: Row) -> bool:
    return (row["resolved_at"] is not None and row["first_response_at"] is None
            and row["first_bot_at"] is not None)


def summarize(rows: list[Row], target_s: int) -> dict[str, Any]:
    first = [v for v in map(_first_response_ms, rows) if v is not None]
    resolution = [v for v in map(_resolution_ms, rows) if v is not None]
    ratings = [r["rating"] for r in rows if r["rating"] is not None]
    per_agent: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if row["first_responder_id"] is not None:
            per_agent[row["first_responder_id"]].append(row)
    by_agent: list[dict[str, Any]] = [{"agentId": agent_id, "conversations": len(agent_rows),
                 "firstResponseMs": {"median": percentile(
                     [v for v in map(_first_response_ms, agent_rows) if v is not None], 1, 2)}}
                for agent_id, agent_rows in per_agent.items()]
    by_agent.sort(key=lambda a: (-a["conversations"], a["agentId"]))
    resolved = sum(1 for r in rows if r["resolved_at"] is not None)
    return {
        "conversations": len(rows),
        "firstResponseMs": _stats(first),
        "resolutionMs": _stats(resolution),
        "csat": {"average": round(sum(ratings) / len(ratings), 2) if ratings else None,
                 "count": len(ratings)},
        "byAgent": by_agent,
        "resolved": resolved,
        "resolvedByBot": sum(1 for r in rows if _bot_only(r)),
        "firstResponseTarget": _target(first, target_s),
    }


async def _window_rows(chat: Chat, principal: Principal,
                       params: Mapping[str, Any]) -> tuple[int, int, list[Row], int]:
    start, end = check_window(params)
    rows = await chat.store.report_rows(principal.account_id, start, end)
    target = (await get_settings(chat, principal.account_id))["targets"]["firstResponseSeconds"]
    return start, end, rows, target


def _at_ranks(ranked: dict[int, int], count: int, num: int, den: int) -> int | None:
    """percentile() from the values at its two ranks only (integer arithmetic, as the SQL)."""
    if not count:
        return None
    low, rest = divmod((count - 1) * num, den)
    high = min(low + 1, count - 1)
    return round(ranked[low] + (ranked[high] - ranked[low]) * rest / den)


async def summary(chat: Chat, principal: Principal, params: Mapping[str, Any]) -> dict[str, Any]:
    """The figures of summarize(), counted by the database. PostgreSQL also ranks the waits and
    sends only the values at the ranks a median or p90 needs; SQLite, in this process, sorts
    slower with a window function than Python does, so it hands over the waits alone, one or two
    numbers a row (measured in docs/benchmarks.md). Either stays fast with tens of thousands of
    conversations in the window; tests hold both to summarize()'s result."""
    start, end = check_window(params)
    account = principal.account_id
    store = chat.store
    target = (await get_settings(chat, account))["targets"]["firstResponseSeconds"]
    totals = await store.report_totals(account, start, end, target * 1000)
    if store.dialect == "postgresql":
        ranks: dict[str, dict[int, int]] = {"first": {}, "resolution": {}}
        counts = {"first": 0, "resolution": 0}
        agents: dict[str, dict[str, Any]] = {}
        for r in await store.report_ranked(account, start, end):
            if r["kind"] == "agent":
                entry = agents.setdefault(r["agent"], {"total": int(r["total"]), "count": int(r["cnt"]),
                                                       "ranked": {}})
                if r["ms"] is not None:
                    entry["ranked"][int(r["rn"])] = int(r["ms"])
            else:
                ranks[r["kind"]][int(r["rn"])] = int(r["ms"])
                counts[r["kind"]] = int(r["cnt"])
        figures = {what: {"median": _at_ranks(ranks[what], counts[what], 1, 2),
                          "p90": _at_ranks(ranks[what], counts[what], 9, 10)}
                   for what in ("first", "resolution")}
        by_agent = [{"agentId": agent_id, "conversations": e["total"],
                     "firstResponseMs": {"median": _at_ranks(e["ranked"], e["count"], 1, 2)}}
                    for agent_id, e in agents.items()]
    else:
        answers, resolutions = await store.report_waits(account, start, end)
        first: list[int] = []
        waits: dict[str, list[int]] = defaultdict(list)
        answered_by: Counter[str] = Counter()
        for r in answers:
            answered_by[r["agent"]] += 1
            if r["ms"] is not None:
                first.append(r["ms"])
                waits[r["agent"]].append(r["ms"])
        figures = {"first": _stats(first), "resolution": _stats([r["ms"] for r in resolutions])}
        by_agent = [{"agentId": agent_id, "conversations": total,
                     "firstResponseMs": {"median": percentile(waits.get(agent_id, []), 1, 2)}}
                    for agent_id, total in answered_by.items()]
    by_agent.sort(key=lambda a: (-a["conversations"], a["agentId"]))
    rated, answered = int(totals["rated"]), int(totals["answered"] or 0)
    return {
        "conversations": int(totals["n"]),
        "firstResponseMs": figures["first"],
        "resolutionMs": figures["resolution"],
        "csat": {"average": round(int(totals["rating_sum"]) / rated, 2) if rated else None,
                 "count": rated},
        "byAgent": by_agent,
        "resolved": int(totals["resolved"]),
        "resolvedByBot": int(totals["bot_only"] or 0),
        "firstResponseTarget": {
            "seconds": target,
            "met": round(int(totals["within_target"]) / answered, 4) if answered else None},
        "from": iso_ms(start), "to": iso_ms(end),
    }


def _target(first: list[int], target_s: int) -> dict[str, Any]:
    # the share of the answered conversations answered within the target
    met = sum(1 for v in first if v <= target_s * 1000)
    return {"seconds": target_s, "met": round(met / len(first), 4) if first else None}


async def breakdown(chat: Chat, principal: Principal, params: Mapping[str, Any]) -> dict[str, Any]:
    """What the reports page draws: the summary, and per day, per weekday and hour, per score."""
    zone = _check_zone(params.get("tz"))
    start, end = check_window(params)
    try:
        first_day = datetime.fromtimestamp(start / 1000, zone).date()
        last_day = datetime.fromtimestamp(max(start, end - 1) / 1000, zone).date()
    except (ValueError, OverflowError, OSError):
        raise Invalid("from and to must be dates between the years 1 and 9999.") from None
    if (last_day - first_day).days >= MAX_DAYS:
        raise Invalid(f"The window must be at most {MAX_DAYS} days (from to to).")
    start, end, rows, target = await _window_rows(chat, principal, params)
    per_day: dict[date, list[Row]] = defaultdict(list)
    heat = [[0] * 24 for _ in range(7)]  # Monday first
    for row in rows:
        moment = datetime.fromtimestamp(row["opened_at"] / 1000, zone)
        per_day[moment.date()].append(row)
        heat[moment.weekday()][moment.hour] += 1
    days = []
    day = first_day
    while day <= last_day:
        day_rows = per_day.get(day, [])
        first = [v for v in map(_first_response_ms, day_rows) if v is not None]
        resolution = [v for v in map(_resolution_ms, day_rows) if v is not None]
        days.append({"date": day.isoformat(), "conversations": len(day_rows),
                     "firstResponseMs": _stats(first), "resolutionMs": _stats(resolution)})
        day += timedelta(days=1)
    scores = Counter(r["rating"] for r in rows if r["rating"] is not None)
    return {"summary": summarize(rows, target) | {"from": iso_ms(start), "to": iso_ms(end)},
            "tz": str(zone), "days": days, "heatmap": heat,
            "ratings": {str(s): scores.get(s, 0) for s in range(1, 6)}}


def _cell(value: Any) -> Any:
    # a spreadsheet would run text that starts like a formula
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def export_csv(chat: Chat, principal: Principal,
                     params: Mapping[str, Any]) -> AsyncIterator[str]:
    """One row a conversation opened in the window, oldest first, read a page at a time."""
    start, end = check_window(params)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield take()
    after = 0
    while True:
        rows = await chat.store.export_rows(principal.account_id, start, end, after, EXPORT_PAGE)
        if not rows:
            return
        labels = await chat.store.episode_labels([r["id"] for r in rows])
        for r in rows:
            writer.writerow([_cell(v) for v in (
                r["id"], r["visitor_id"], r["visitor_name"], r["visitor_email"],
                iso_ms(r["opened_at"]), r["opened_by"], iso_ms(r["first_response_at"]),
                r["first_responder_id"], _first_response_ms(r), r["assignee_id"],
                iso_ms(r["resolved_at"]), r["resolved_by"], _resolution_ms(r),
                "true" if _bot_only(r) else "false", r["rating"], r["rating_comment"],
                ";".join(label["name"] for label in labels[r["id"]]))])
        yield take()
        after = rows[-1]["seq"]
