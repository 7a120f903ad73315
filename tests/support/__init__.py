"""Test support code shared across the suite (on the path through pytest's ``pythonpath``)."""
