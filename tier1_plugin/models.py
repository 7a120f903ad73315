"""The data every component exchanges: events, check results and the vocabularies they use."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

#: The seed's event types. Plugins add more through ``tier1_register_event_types``.
EVENT_TYPES = (
    "production_check",
    "action_item_completed",
    "action_item_pending_review",
    "no_action_taken",
    "n8n_failure_detected",
    "n8n_recovery_attempted",
)

STATUSES = ("pending", "success", "failed", "warning", "pending_review", "skipped")


def new_event_uuid() -> str:
    """A random RFC 4122 version-4 UUID, without importing :mod:`uuid` on the hook path."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class AutomationEvent:
    """One row of the ``automation_events`` audit trail.

    ``event_uuid`` and ``created_at`` are fixed when the event is made, not when it is stored:
    an event that waits in the outbox keeps both, which is what makes redelivery exactly-once.
    ``id`` is the store's row id, filled when the event is read back (``None`` while it waits
    in the outbox).
    """

    event_type: str
    status: str
    project_id: str | None = None
    evidence: dict = field(default_factory=dict)
    detected_from: str = ""
    metadata: dict = field(default_factory=dict)
    correlation_id: str | None = None
    event_uuid: str = field(default_factory=new_event_uuid)
    created_at: datetime = field(default_factory=utcnow)
    resolved_at: datetime | None = None
    id: int | None = None

    def to_dict(self) -> dict:
        """JSON-ready form; the shape ``tier1 events --json`` prints (documented in README)."""
        data = asdict(self)
        data["created_at"] = _iso(self.created_at)
        data["resolved_at"] = _iso(self.resolved_at)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "AutomationEvent":
        data = dict(data)
        for key in ("created_at", "resolved_at"):
            if isinstance(data.get(key), str):
                data[key] = parse_time(data[key])
        return cls(**data)


@dataclass
class CheckResult:
    """The outcome of one production check (the seed's fields plus confidence and duration)."""

    check_name: str
    passed: bool
    details: str = ""
    evidence: dict = field(default_factory=dict)
    confidence: int = 100
    duration_s: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
