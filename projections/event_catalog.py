"""The event catalog: every event type Chronicle stores, what it holds and who reads it.

One source for `manage.py events_catalog`, its `--markdown` form (`docs/events.md`,
which a test keeps from going stale) and its `--dry-run` of the upcasters. It lives on
the read side because it names both the projections and the process managers (through
``orders.processes.health``, the one part of the processes the read side may import).

What comes from code (types, fields, personal fields, upcasters, handlers) is static,
so the generated document never depends on a database; what comes from the log
(counts per schema version, a stored sample, the dry run) is printed by the command.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from eventstore import events, upcasting
from eventstore.models import Event
from orders.processes import health
from projections.engine.projection import all_projections

# A sample payload shows a stored event's shape, never a person's data.
PERSONAL_MARK = "[personal]"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    personal: bool


@dataclass(frozen=True)
class EventType:
    name: str
    schema_version: int
    fields: tuple[Field, ...]
    subject: str
    upcasters: tuple[str, ...]  # "v1 → v2: module.function"
    projections: tuple[str, ...]
    processes: tuple[str, ...]


@dataclass
class DryRun:
    event_type: str
    checked: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def catalog(names: list[str] | None = None) -> list[EventType]:
    """Every registered event type (or those ``names``), sorted by name."""
    processes = health.event_types_handled()
    found = []
    for name in sorted(events.event_types() if names is None else names):
        cls = events.event_class(name)
        subject, personal = events.personal_fields(name) or ("", frozenset())
        found.append(
            EventType(
                name=name,
                schema_version=cls.schema_version,
                fields=tuple(
                    Field(f.name, str(f.type), f.name in personal)
                    for f in dataclasses.fields(cls)  # type: ignore[arg-type]
                ),
                subject=subject,
                upcasters=tuple(
                    f"v{version} → v{version + 1}: {fn.__module__}.{fn.__qualname__}"
                    for version, fn in upcasting.registered(name)
                ),
                projections=tuple(p.name for p in all_projections() if name in p.handlers),
                processes=tuple(sorted(p for p, types in processes.items() if name in types)),
            )
        )
    return found


def stored_counts() -> dict[str, dict[int, int]]:
    """How many events of each type are stored, per schema version."""
    counts: dict[str, dict[int, int]] = {}
    rows = Event.objects.values("event_type", "schema_version").annotate(n=Count("position"))
    for row in rows:
        counts.setdefault(row["event_type"], {})[row["schema_version"]] = row["n"]
    return counts


def sample(event_type: str) -> dict[str, Any] | None:
    """The newest stored event's data, its personal fields masked."""
    data = (
        Event.objects.filter(event_type=event_type)
        .order_by("-position")
        .values_list("data", flat=True)
        .first()
    )
    return None if data is None else masked(event_type, data)


def masked(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    _, personal = events.personal_fields(event_type) or ("", frozenset())
    return {k: PERSONAL_MARK if k in personal else v for k, v in data.items()}


def dry_run(event_types: list[str] | None = None) -> Iterator[DryRun]:
    """Run the upcaster chain, and the decoding into the current event class, over
    every stored event of each type; report what fails. Writes nothing."""
    for name in event_types or sorted(events.event_types()):
        result = DryRun(name)
        current = events.event_class(name).schema_version
        rows = (
            Event.objects.filter(event_type=name)
            .order_by("position")
            .values_list("event_id", "position", "schema_version", "data")
        )
        for event_id, position, schema_version, data in rows.iterator(chunk_size=2000):
            result.checked += 1
            try:
                version, upcast = upcasting.upcast(name, schema_version, dict(data))
                if version != current:
                    raise ValueError(f"upcast to v{version}, the event class is v{current}")
                events.decode(name, upcast)
            except Exception as error:  # noqa: BLE001 - a dry run reports every failure
                result.failures.append(
                    {
                        "event_id": str(event_id),
                        "position": position,
                        "schema_version": schema_version,
                        "error": "".join(traceback.format_exception_only(error)).strip(),
                    }
                )
                continue
            if result.before is None and version != schema_version:
                result.before = {"schema_version": schema_version, **masked(name, data)}
                result.after = {"schema_version": version, **masked(name, upcast)}
        yield result


def markdown(names: list[str] | None = None) -> str:
    """docs/events.md: the catalog's static part (of every type, or those ``names``)."""
    lines = [
        "# Chronicle's events",
        "",
        "Generated by `python manage.py events_catalog --markdown > docs/events.md`;",
        "a test fails when it is stale. `manage.py events_catalog` adds the counts",
        "stored per schema version and a sample payload; `--dry-run` runs the upcasters",
        "over the stored events (docs/architecture.md, invariant 10).",
        "",
        "| event type | schema | projections | processes |",
        "|---|---|---|---|",
    ]
    types = catalog(names)
    for t in types:
        lines.append(
            f"| [{t.name}](#{t.name.lower()}) | v{t.schema_version} | "
            f"{', '.join(t.projections) or '—'} | {', '.join(t.processes) or '—'} |"
        )
    for t in types:
        lines += ["", f"## {t.name}", "", f"Schema version {t.schema_version}."]
        if t.subject:
            lines.append(f"Personal fields are encrypted under the data key of `{t.subject}`.")
        lines += ["", "| field | type | personal |", "|---|---|---|"]
        lines += [
            f"| `{f.name}` | `{_cell(f.type)}` | {'yes' if f.personal else ''} |" for f in t.fields
        ]
        if t.upcasters:
            lines += ["", "Upcasters:", ""] + [f"- {u}" for u in t.upcasters]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
