"""The secret scanner against detect-secrets: precision, recall and files/s from one run.

    python benchmarks/secrets.py [--creddata DIR] [--split heldout] [--repeat 3] [--seed N]
                                 [--skip-creddata] [--skip-corpus] [--no-peer]

Two trees, each scanned by ``tier1 scan-secrets`` and by detect-secrets 1.5 (installed from
PyPI into its own virtualenv under the cache folder, not into the project), timed
interleaved, ``--repeat`` times each (medians):

1. **Real files**: CredData's labelled subset (``../shared/bench/creddata`` beside the
   repository, or ``--creddata`` / ``TIER1_CREDDATA``), ``heldout/`` by default (the scanner was
   tuned on ``dev/`` only).  Scored by the subset's own ``score.py``: strict precision (a hit on
   an unlabelled line counts as false), core recall.
2. **Planted corpus**: ``benchmarks/secrets_corpus.py`` generates fake secrets at run time in
   code, config, ``.env``, YAML, JSON, shell and Terraform files, decoys of every kind and a
   few hundred ordinary source files; scored line by line against its labels.

Goals (issue 4): CredData heldout strict precision >= 0.80 and core recall >= 0.75 at >= 8x
detect-secrets' files/s; planted corpus precision and recall >= 0.95 at >= 10x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on sys.path, and this file is named like
# the standard library's ``secrets``: keep the folder off the path so nothing imports us.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
DETECT_SECRETS = "detect-secrets==1.5.0"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "tier1", "bench")


def detect_secrets_command() -> list[str]:
    """The detect-secrets executable in its own venv, created on first use."""
    venv = cache_dir() / ("venv-" + DETECT_SECRETS.replace("==", "-"))
    executable = venv / "bin" / "detect-secrets"
    if not executable.exists():
        print(f"installing {DETECT_SECRETS} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        DETECT_SECRETS], check=True)
    return [str(executable)]


def tier1_command() -> list[str]:
    """The ``tier1`` console script beside this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("tier1")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tier1_plugin"]


#: tier1's environment: its own caches (parsed config, entry points, bytecode) in a folder of
#: this run, warm after the first run as on a developer's machine, undisturbed by others.
TIER1_ENV = dict(os.environ)


def run_tier1(tree: Path) -> tuple[float, set[tuple[str, int]]]:
    """Wall time and the (path relative to ``tree``, line) findings of ``tier1 scan-secrets``."""
    start = time.perf_counter()
    done = subprocess.run([*tier1_command(), "scan-secrets", str(tree), "--format", "json"],
                          capture_output=True, text=True, cwd=tree, env=TIER1_ENV)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"tier1 scan-secrets failed: {done.stderr}")
    data = json.loads(done.stdout)
    return elapsed, {(item["path"], item["line"]) for item in data["findings"]}


def run_detect_secrets(tree: Path) -> tuple[float, set[tuple[str, int]]]:
    """Wall time and findings of ``detect-secrets scan --all-files`` (its default plugins)."""
    start = time.perf_counter()
    done = subprocess.run([*detect_secrets_command(), "scan", "--all-files", "."],
                          capture_output=True, text=True, cwd=tree)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"detect-secrets failed: {done.stderr[-2000:]}")
    results = json.loads(done.stdout)["results"]
    return elapsed, {(path, item["line_number"]) for path, items in results.items() for item in items}


def count_files(tree: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(tree))


def timed(runs: dict, repeat: int, tree: Path):
    """Run each scanner ``repeat`` times, interleaved; median time and the last findings."""
    times = {name: [] for name in runs}
    found = {}
    for _ in range(repeat):
        for name, run in runs.items():
            elapsed, found[name] = run(tree)
            times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}, found


def score_creddata(split_dir: Path, findings: set[tuple[str, int]], scratch: Path) -> dict:
    tsv = scratch / "findings.tsv"
    tsv.write_text("".join(f"data/{path}\t{line}\n" for path, line in sorted(findings)), encoding="utf-8")
    done = subprocess.run([sys.executable, str(split_dir.parent / "score.py"), str(split_dir / "meta"),
                           str(tsv)], capture_output=True, text=True, check=True)
    figures = {}
    for token in done.stdout.split():
        key, _, value = token.partition("=")
        if key in ("precision_strict", "precision_labelled_only"):
            figures[key] = float(value)
        elif key in ("recall_all", "recall_core"):
            figures[key] = float(value.rsplit("=", 1)[-1])
    return figures


def score_planted(planted: dict, findings: set[tuple[str, int]]) -> dict:
    hits = len(findings & set(planted))
    return {"precision": hits / max(len(findings), 1), "recall": hits / max(len(planted), 1),
            "false_positives": len(findings - set(planted)), "missed": len(set(planted) - findings)}


def table(title: str, columns: list[str], rows: list[list[str]]) -> str:
    lines = [f"### {title}", "", "| " + " | ".join(columns) + " |",
             "| " + " | ".join("---" for _ in columns) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def creddata_benchmark(args, runs, scratch: Path) -> str:
    split_dir = args.creddata / args.split
    tree = split_dir / "data"
    files = count_files(tree)
    medians, found = timed(runs, args.repeat, tree)
    rows, speeds = [], {}
    for name in runs:
        figures = score_creddata(split_dir, found[name], scratch)
        speeds[name] = files / medians[name]
        rows.append([name, f"{figures['precision_strict']:.2f}", f"{figures['recall_core']:.2f}",
                     f"{figures['precision_labelled_only']:.2f}", f"{figures['recall_all']:.2f}",
                     f"{medians[name]:.2f}", f"{speeds[name]:.0f}"])
    ratio = _ratio(speeds)
    return table(f"CredData {args.split}/ ({files} files)",
                 ["scanner", "strict precision", "core recall", "labelled precision",
                  "recall (all)", "seconds", "files/s"], rows) + ratio


def corpus_benchmark(args, runs, scratch: Path) -> str:
    import importlib.util

    spec = importlib.util.spec_from_file_location("secrets_corpus", REPO / "benchmarks" / "secrets_corpus.py")
    secrets_corpus = importlib.util.module_from_spec(spec)
    sys.modules["secrets_corpus"] = secrets_corpus
    spec.loader.exec_module(secrets_corpus)

    tree = scratch / "corpus"
    corpus = secrets_corpus.build(tree, seed=args.seed)
    files = count_files(tree)
    medians, found = timed(runs, args.repeat, tree)
    rows, speeds = [], {}
    for name in runs:
        figures = score_planted(corpus.planted, found[name])
        speeds[name] = files / medians[name]
        rows.append([name, f"{figures['precision']:.3f}", f"{figures['recall']:.3f}",
                     str(figures["false_positives"]), str(figures["missed"]),
                     f"{medians[name]:.2f}", f"{speeds[name]:.0f}"])
    ratio = _ratio(speeds)
    return table(f"Planted corpus ({files} files, {len(corpus.planted)} planted secrets, "
                 f"seed {args.seed})",
                 ["scanner", "precision", "recall", "false positives", "missed", "seconds",
                  "files/s"], rows) + ratio


def _ratio(speeds: dict) -> str:
    if "detect-secrets" in speeds and "tier1" in speeds:
        return f"\n\ntier1 is {speeds['tier1'] / speeds['detect-secrets']:.1f}x detect-secrets' files/s."
    return ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = os.environ.get("TIER1_CREDDATA") or str(REPO.parent / "shared" / "bench" / "creddata")
    parser.add_argument("--creddata", type=Path, default=Path(default))
    parser.add_argument("--split", default="heldout", choices=("heldout", "dev"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(3), "big"))
    parser.add_argument("--skip-creddata", action="store_true")
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--no-peer", action="store_true", help="time tier1 only")
    args = parser.parse_args(argv)

    runs = {"tier1": run_tier1}
    if not args.no_peer:
        detect_secrets_command()  # install before timing anything
        runs["detect-secrets"] = run_detect_secrets
    out = []
    with tempfile.TemporaryDirectory(prefix="tier1-secrets-bench-") as scratch:
        TIER1_ENV["XDG_CACHE_HOME"] = os.path.join(scratch, "cache")
        # detect-secrets was pip-installed, so its modules are byte-compiled; give tier1 (an
        # editable install here) the same, in the scratch folder rather than the source tree
        TIER1_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
        TIER1_ENV["PYTHONPYCACHEPREFIX"] = os.path.join(scratch, "pycache")
        if not args.skip_creddata:
            if (args.creddata / args.split / "meta").is_dir():
                out.append(creddata_benchmark(args, runs, Path(scratch)))
            else:
                print(f"no CredData subset at {args.creddata}: skipped (see --creddata)", file=sys.stderr)
        if not args.skip_corpus:
            out.append(corpus_benchmark(args, runs, Path(scratch)))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, "
          f"medians of {args.repeat} interleaved runs\n")
    print("\n\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
