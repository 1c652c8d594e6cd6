"""`python -m bench [--quick] [--only intake,reads,…]`: runs every benchmark present and prints one line per
target — the figure, the target and PASS/SHORT — after the machine it ran on.

A benchmark is a module `bench/bench_<name>.py` exposing `TITLE` and `run(ctx: bench.common.Context) ->
list[bench.common.Result]`. Modules listed in MODULES but not present yet are reported as hooks, so the
runner works on every branch; adding the file is all it takes to wire a new one in.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.common import DEFAULT_PG, OUT_DIR, Context, Result, dump_json, have_wrk, machine, results_json

# name → (module, what it proves, DESIGN §10 target) — order is run order.
MODULES: list[tuple[str, str, str, str]] = [
    ("intake", "bench.bench_intake", "intake throughput and latency (PostgreSQL, SQLite)", "≥ 0.5× bare INSERT"),
    ("reads", "bench.bench_reads", "appeal list, filters and cursors over 1M appeals", "p99 ≤ 50 ms"),
    ("sweep", "bench.bench_sweep", "SLA sweep: 1k due among 10k vs 1M open", "≤ 1.5×"),
    # Hooks — each arrives with its capability (issue numbers in the README):
    ("stats", "bench.bench_stats", "statistics summary over 1M appeals (issue 8)", "≤ 500 ms"),
    ("dispatcher", "bench.bench_dispatcher",
     "dispatcher vs fake DingTalk: 0 lost, 0 blocks, ≥ 85% of allowed rate (issue 5)", "0/0/≥ 85%"),
    ("chatbot", "bench.bench_chatbot", "chatbot callback at 20 concurrent liaisons (issue 7)", "p99 ≤ 300 ms"),
    ("burst", "bench.bench_burst", "200 connections at once vs 25: 401/list p99, intake rate (issue 14)",
     "0 errors, 401 p99 ≤ 1 s"),
    ("programme", "bench.bench_programme", "programme figures over 1M appeals, 500k visits, 20k enterprises (issue 17)",
     "≤ 500 ms"),
    ("policies", "bench.bench_policies",
     "policy matching over 20k enterprises; push to 10k as digests to a fake robot (issue 18)", "≤ 200 ms / ≤ 10 s"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs and 100k instead of 1M appeals")
    parser.add_argument("--only", default="", help="comma list of benchmarks: " + ",".join(m[0] for m in MODULES))
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL, without database")
    parser.add_argument("--appeals", type=int, default=None, help="size of the seeded dataset (default 1M)")
    parser.add_argument("--reseed", action="store_true", help="re-create the seeded dataset even if present")
    parser.add_argument("--compare", type=Path, default=None, metavar="DIR",
                        help="also serve the app from DIR (e.g. `git archive <rev> app migrations | tar -x -C DIR`) "
                             "as F0 in the intake rounds: a before/after in the same run")
    args = parser.parse_args(argv)
    # The benchmarks call use cases in-process (seeding, filing appeals) as well as over HTTP: the domains'
    # subscribers and field checks must be registered as at any entry point.
    from app import wiring

    wiring.install()

    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - {m[0] for m in MODULES}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    appeals = args.appeals or (100_000 if args.quick else 1_000_000)
    ctx = Context(quick=args.quick, pg=args.pg, reseed=args.reseed, appeals=appeals,
                  compare=args.compare.resolve() if args.compare else None)
    info = machine()
    info["postgresql"] = ctx.pg_version()
    info["date"] = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
    info["command"] = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"# zhuqi bench — {info['date']}")
    print(f"# {info['command']}")
    info["loadavg_start"] = [round(x, 2) for x in os.getloadavg()]
    print(f"# machine: nproc {info['nproc']}, {info['memory_gib']} GiB, {info['cpu']}, "
          f"PostgreSQL {info['postgresql']}, Python {info['python']}; load average {info['loadavg_start']} "
          "(other work on the machine shares the cores: compare figures within a run)")
    if not have_wrk():
        print("# wrk not found: `apt-get install -y wrk` (intake needs it)")

    results: list[Result] = []
    failures = 0
    for name, module_name, what, target in MODULES:
        if only and name not in only:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            line = Result(name, None, "", target, None, detail=f"hook: {what} — not present yet "
                          f"(add {module_name.replace('.', '/')}.py with run(ctx))")
            print(line.line(), flush=True)
            continue
        started = time.monotonic()
        print(f"# {name}: {getattr(module, 'TITLE', what)}", flush=True)
        try:
            batch = module.run(ctx)
        except Exception:  # one broken benchmark must not hide the others' figures
            failures += 1
            traceback.print_exc()
            print(Result(name, None, "", target, False, detail="benchmark failed (traceback above)").line())
            continue
        for result in batch:
            print(result.line(), flush=True)
        results.extend(batch)
        print(f"# {name} took {time.monotonic() - started:.0f} s", flush=True)

    total = time.monotonic() - ctx.started
    info["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    short = [r for r in results if r.passed is False]
    print(f"# total {total:.0f} s; {sum(r.passed is True for r in results)} pass, {len(short)} short, "
          f"{failures} failed; load average at the end {info['loadavg_end']}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dump_json(OUT_DIR / f"{stamp}.json", {"machine": info, "seconds": round(total), "results": results_json(results)})
    details = OUT_DIR / f"{stamp}-details.md"
    details.write_text("\n".join(ctx.details), encoding="utf-8")
    print(f"# details (EXPLAIN, per-round figures): {details}")
    ctx.cleanup()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
