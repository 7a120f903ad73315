"""Schema migrations (``postgresql/``, ``sqlite/``) and ``roles.sql``, shipped as package data."""
