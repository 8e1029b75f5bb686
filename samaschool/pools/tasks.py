"""Importing tasks from CSV or JSON Lines: checked in full first, then all or nothing."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from sqlalchemy import func, select

from samaschool.extensions import db
from samaschool.pools.models import Pool, Task
from samaschool.pools.task_types import REGISTRY

MAX_ROWS = 100_000
MAX_DEPTH = 20  # a task is a flat object; deeper JSON is a mistake (or an attack on the parser)
RECOMMENDED_GOLD_SHARE = 0.05


@dataclass
class ImportReport:
    created: int = 0
    gold: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _rows(text: str, filename: str):
    """(row number, mapping) for CSV (header row) or JSON Lines, by the file's name."""
    if filename.endswith((".jsonl", ".ndjson", ".json")):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
                too_deep = _depth(value) > MAX_DEPTH
            except json.JSONDecodeError as error:
                yield number, ValueError(f"not valid JSON ({error.msg})")
                continue
            except RecursionError:
                too_deep = True
            if too_deep:
                yield number, ValueError(f"nested more than {MAX_DEPTH} levels deep")
                continue
            yield number, value if isinstance(value, dict) else ValueError("each line must be a JSON object")
    else:
        reader = csv.DictReader(io.StringIO(text))
        try:
            for row in reader:
                yield reader.line_num, row
        except csv.Error as error:  # e.g. a field over the csv module's size limit
            yield reader.line_num, ValueError(f"not valid CSV ({error})")


def _depth(value) -> int:
    """How deeply a parsed JSON value nests, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict | list):
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def import_tasks(pool: Pool, text: str, filename: str) -> ImportReport:
    """Validate every row, then add the tasks in one go; nothing is written on any error.

    Each row needs `external_id` and the type's payload fields (e.g. `title`); `gold_label`
    (or `gold` in JSON) makes a gold task. Rows whose id the pool already has are errors.
    """
    kind = REGISTRY[pool.task_type]
    report = ImportReport()
    existing = set(db.session.scalars(select(Task.external_id).where(Task.pool_id == pool.id)))
    seen: set[str] = set()
    tasks = []
    for number, row in _rows(text, filename):
        where = f"{filename}:{number}"
        if isinstance(row, Exception):
            report.errors.append(f"{where}: {row}")
            continue
        if len(tasks) + len(report.errors) >= MAX_ROWS:
            report.errors.append(f"{where}: more than {MAX_ROWS} rows; split the file")
            break
        external_id = str(row.get("external_id") or "").strip()
        if not external_id:
            report.errors.append(f"{where}: 'external_id' is empty")
            continue
        if len(external_id) > 100:
            report.errors.append(f"{where}: 'external_id' is longer than 100 characters")
            continue
        if "\x00" in external_id:
            report.errors.append(f"{where}: 'external_id' contains a NUL character")
            continue
        if external_id in seen or external_id in existing:
            report.errors.append(f"{where}: task '{external_id}' appears twice (or is already in the pool)")
            continue
        seen.add(external_id)
        payload = {}
        for name in kind.payload_fields:
            value = str(row.get(name) or "").strip()
            if not value:
                report.errors.append(f"{where}: '{name}' is empty")
                break
            payload[name] = value
        else:
            gold_raw = row.get("gold") if "gold" in row else row.get("gold_label")
            gold = None
            if gold_raw not in (None, "", []):
                try:
                    gold = kind.parse_gold(gold_raw, pool.labels)
                except ValueError as error:
                    report.errors.append(f"{where}: {error}")
                    continue
            tasks.append(
                Task(
                    pool_id=pool.id,
                    external_id=external_id,
                    payload=payload,
                    gold_answer=gold,
                    is_gold=gold is not None,
                )
            )
    if not tasks and not report.errors:
        report.errors.append(f"{filename}: no tasks found")
    if report.errors:
        return report
    db.session.add_all(tasks)
    db.session.flush()
    report.created = len(tasks)
    report.gold = sum(1 for t in tasks if t.is_gold)
    total, gold = db.session.execute(
        select(func.count(), func.coalesce(func.sum(func.cast(Task.is_gold, db.Integer)), 0)).where(
            Task.pool_id == pool.id
        )
    ).one()
    if total and gold / total < RECOMMENDED_GOLD_SHARE:
        report.warnings.append(
            f"only {gold} of {total} tasks ({100 * gold / total:.1f}%) are gold; at least 5% is recommended "
            "so that quality can be measured"
        )
    return report
