"""Precision and recall of action-item detection on real tool outputs: the seed vs Tier 1.

The corpus is made by running real tools (git with a bare remote, pytest, unittest,
node --test, cargo, pip, make, gcc, ruff when installed) plus labelled traps, by
``tests/support/tool_outputs.py`` (the same corpus the tests use).  A prediction is a
*completion*: a category at confidence >= 80 (the default ``thresholds.complete``).  A
completion in the wrong category, or where nothing was done, is a false positive.

The seed's algorithm, as the seed describes it: the first keyword of its table found as a
substring of the lower-cased output, in table order, gives the category's base confidence,
minus 30 when any failure indicator occurs anywhere in the output.  It sees only the output
(no command, no failure event).  Its table is the one in DESIGN.md.

    .venv/bin/python benchmarks/detect.py [--show]

Goal: precision >= 0.97, recall >= 0.90.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

SEED_TABLE = {
    "commit-related": (95, ["git commit", "committed", "commit complete", "commit -m"]),
    "deployment": (90, ["deployed", "deployment complete", "deployment successful", "released"]),
    "test-success": (90, ["all tests passed", "tests passed", "passed"]),
    "bug-fixed": (85, ["fixed", "bug fixed", "issue resolved", "resolved"]),
    "build-success": (85, ["build successful", "build succeeded", "compiled successfully", "built"]),
    "file-created": (80, ["created", "file created", "written"]),
}
SEED_FAILURES = ["failed", "error", "unable to", "could not", "connection timeout", "unauthorized",
                 "403", "404"]
COMPLETE = 80


def seed_decision(output: str, command: str, failed: bool):
    lower = output.lower()
    for category, (confidence, keywords) in SEED_TABLE.items():
        for keyword in keywords:
            if keyword in lower:
                if any(indicator in lower for indicator in SEED_FAILURES):
                    confidence -= 30
                return category if confidence >= COMPLETE else None
    return None


def tier1_decider(with_command: bool = True):
    from tier1_plugin.config import load_config
    from tier1_plugin.hooks.detector import KeywordDetector

    detector = KeywordDetector.from_config(load_config(start=Path(tempfile.gettempdir())),
                                           call_each=lambda *a, **k: [])

    def decide(output, command, failed):
        result = detector.detect(output, command if with_command else None, "Bash", failed=failed)
        return result.category if result.keyword_found and result.confidence >= COMPLETE else None
    return decide


def score(samples, decide, categories=None):
    tp = fp = fn = 0
    wrong = []
    for sample in samples:
        expected = sample.expected if categories is None or sample.expected in categories else None
        got = decide(sample.output, sample.command, sample.failed)
        if categories is not None and got not in categories:
            got = None
        if got is not None and got == expected:
            tp += 1
        else:
            if got is not None:
                fp += 1
            if expected is not None:
                fn += 1
            if got != expected:
                wrong.append((sample, got))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn, wrong


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list every sample a detector gets wrong")
    args = parser.parse_args(argv)
    from support.tool_outputs import build_corpus

    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        corpus = build_corpus(Path(scratch))
        built = time.perf_counter() - started
    samples = corpus.samples
    positives = sum(1 for s in samples if s.expected)
    print(f"corpus: {len(samples)} real tool outputs ({positives} completions, {len(samples) - positives} "
          f"non-completions and traps), built in {built:.1f}s"
          + (f"; not installed: {', '.join(corpus.missing)}" if corpus.missing else ""))
    rows = [
        ("seed (substrings, output only)", seed_decision, None),
        ("tier1 (output only, no command)", tier1_decider(with_command=False), None),
        ("tier1 (command + output + event)", tier1_decider(), None),
        ("seed, its six categories only", seed_decision, set(SEED_TABLE)),
        ("tier1, the seed's six categories", tier1_decider(), set(SEED_TABLE)),
    ]
    print(f"{'detector':<36} {'precision':>9} {'recall':>7} {'TP':>4} {'FP':>4} {'FN':>4}")
    results = {}
    for name, decide, categories in rows:
        precision, recall, tp, fp, fn, wrong = score(samples, decide, categories)
        results[name] = wrong
        print(f"{name:<36} {precision:>9.3f} {recall:>7.3f} {tp:>4} {fp:>4} {fn:>4}")
    if args.show:
        for name, wrong in results.items():
            print(f"\n{name}: {len(wrong)} wrong")
            for sample, got in wrong:
                print(f"  {sample.name:<32} expected {sample.expected!s:<15} got {got!s:<15} {sample.note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
