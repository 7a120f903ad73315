"""The production gate's cost: ``pytest --production-check`` against plain ``pytest``.

    python benchmarks/gate.py [--files 30] [--tests 25] [--work 20000] [--repeat 5]

Generates a suite (``--files`` modules of ``--tests`` tests, each doing ``--work`` additions,
a tenth of the modules integration tests) in a temporary project with README, ROLLBACK.md and
the performance check disabled, then times, interleaved, ``--repeat`` times each:

- ``plain``: ``python -m pytest`` on the suite (the baseline);
- ``gate``: the same command with ``--production-check`` (records the session, runs the other
  checks concurrently, decides, writes the event);
- ``seed``: the seed's design, whose checks ran the suite in subprocesses (``pytest`` for
  the tests check, ``pytest`` again for the integration check) and then the other checks one
  after another: two runs of the same suite plus the other checks run sequentially (with
  Tier 1's own check implementations, so the comparison favours the seed).

Prints the medians and the ratios.  Goals (issue 3): gate <= 1.2 x plain + 1 s, and
seed / gate >= 1.8.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

MODULE = """\
import pytest
{marker}

@pytest.mark.parametrize("n", range({tests}))
def test_sums(n):
    assert sum(range({work})) + n >= n
"""


def make_project(root: Path, files: int, tests: int, work: int) -> list[str]:
    (root / "tests").mkdir(parents=True)
    (root / "README.md").write_text("# Generated service\n", encoding="utf-8")
    (root / "ROLLBACK.md").write_text("pip install service==previous\n", encoding="utf-8")
    (root / "tier1.yaml").write_text(textwrap.dedent(f"""\
        database:
          url: sqlite:///{root / 'events.db'}
        production_check:
          checks:
            performance: {{enabled: false}}
        """), encoding="utf-8")
    (root / "pytest.ini").write_text("[pytest]\nmarkers =\n    integration: integration test\n",
                                     encoding="utf-8")
    paths = []
    for index in range(files):
        integration = index % 10 == 0
        name = f"tests/test_module_{index:03d}.py"
        marker = "pytestmark = pytest.mark.integration" if integration else ""
        (root / name).write_text(MODULE.format(marker=marker, tests=tests, work=work),
                                 encoding="utf-8")
        paths.append(name)
    subprocess.run(["git", "init", "-q"], cwd=root, check=False)
    return paths


SEQUENTIAL_CHECKS = """\
from tier1_plugin.config import load_config
from tier1_plugin.gate import CheckContext, collect_checks, plan

config = load_config()
planned, _ = plan(collect_checks(config), config)
for item in planned:
    if item.check.name not in ("tests", "integration_tests"):
        item.check.run(CheckContext(item.check.name, config.root, item.config, None, config))
"""


def timed(argv: list[str], cwd: Path, env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {done.returncode}:\n{done.stdout[-3000:]}")
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=30)
    parser.add_argument("--tests", type=int, default=25)
    parser.add_argument("--work", type=int, default=20000, help="additions per test")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="tier1-gate-bench-") as folder:
        root = Path(folder) / "service"
        make_project(root, args.files, args.tests, args.work)
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(folder) / "cache"),
               "TIER1_LOAD_ENTRYPOINTS": "0"}
        env.pop("TIER1_CONFIG", None)
        env.pop("TIER1_DATABASE_URL", None)
        pytest_cmd = [sys.executable, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        plain_cmd = pytest_cmd
        gate_cmd = [*pytest_cmd, "--production-check"]
        timed(gate_cmd, root, env)  # warm caches (config, entry points, .pyc) for every variant
        plain, gate, seed = [], [], []
        for _ in range(args.repeat):
            plain.append(timed(plain_cmd, root, env))
            gate.append(timed(gate_cmd, root, env))
            seed.append(timed(plain_cmd, root, env) + timed(plain_cmd, root, env)
                        + timed([sys.executable, "-P", "-c", SEQUENTIAL_CHECKS], root, env))

    tests = args.files * args.tests
    p, g, s = (statistics.median(values) for values in (plain, gate, seed))
    budget = 1.2 * p + 1.0
    print(f"suite: {tests} tests in {args.files} files, {args.repeat} runs each, medians")
    print(f"plain pytest                 {p:7.2f} s")
    print(f"pytest --production-check    {g:7.2f} s   gate / plain = {g / p:.2f}x "
          f"(budget 1.2x + 1 s = {budget:.2f} s: {'ok' if g <= budget else 'OVER'})")
    print(f"seed design (suite twice+)   {s:7.2f} s   seed / gate  = {s / g:.2f}x "
          f"(goal >= 1.8x: {'ok' if s / g >= 1.8 else 'MISSED'})")
    return 0 if g <= budget and s / g >= 1.8 else 1


if __name__ == "__main__":
    sys.exit(main())
