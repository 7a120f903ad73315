"""Fake secrets for the scanner's tests, made at run time by the benchmark's corpus generator.

``from support.fake_secrets import corpus`` gives ``benchmarks/secrets_corpus.py`` as a module
(its :data:`FAKES` makers, ``pick``, ``certificate`` ...), so neither the tests nor the
benchmark hold a secret-shaped literal, and both plant the same shapes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load():
    if "secrets_corpus" in sys.modules:
        return sys.modules["secrets_corpus"]
    spec = importlib.util.spec_from_file_location("secrets_corpus", ROOT / "benchmarks" / "secrets_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["secrets_corpus"] = module
    spec.loader.exec_module(module)
    return module


corpus = _load()
