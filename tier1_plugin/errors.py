"""Exceptions shared across modules (kept here so no module imports a backend to catch one)."""


class StoreUnavailable(Exception):
    """The event store's database cannot be reached (or has no schema yet); events go to the outbox."""
