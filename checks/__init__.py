"""The built-in production checks, one plugin module each."""
