"""``make bench``: run named benchmarks against real servers and print figures.

    python -m benchmarks [NAME ...] [--combinations N] [--baseline-sample N]
                         [--export-rows N]

``NAME`` is one of :data:`BENCHMARKS` or ``all`` (the default: every benchmark
marked ``in_all``). The exit status is non-zero only when a benchmark could
not run; a missed target is printed as ``MISS`` and is not an error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks import exports, load, marketing, profiling, training
from benchmarks.harness import (
    BenchEnvironment,
    BenchOptions,
    Report,
    Target,
    bench_environment,
)

logger = logging.getLogger("benchmarks")

WIDTH = 46


@dataclass(frozen=True)
class Benchmark:
    """A named benchmark: runs in a fresh environment and returns a report."""

    summary: str
    run: Callable[[BenchEnvironment, BenchOptions], Report]
    in_all: bool = True


BENCHMARKS: dict[str, Benchmark] = {
    "training": Benchmark(
        "POST /train-models on 1,000 combinations vs scikit-learn", training.run
    ),
    "exports": Benchmark(
        "CSV export of a 100,000-row run: rows/s and worker RSS", exports.run
    ),
    "marketing": Benchmark(
        "marketing chain: 4 combinations, 50,000 rows, 24 models vs gradient descent",
        marketing.run,
    ),
    "load": Benchmark(
        "read load: 50 clients for 30 s on scope and result reads", load.run
    ),
    "training-profile": Benchmark(
        "phases and cProfile of one training, in-process", profiling.run, False
    ),
}


def selected(names: list[str]) -> list[str]:
    """The benchmarks to run, in registry order, ``all`` expanded."""
    wanted = set(names or ["all"])
    if "all" in wanted:
        wanted |= {name for name, bench in BENCHMARKS.items() if bench.in_all}
    return [name for name in BENCHMARKS if name in wanted]


def format_report(report: Report, seconds: float) -> str:
    """The report as aligned text lines."""
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [f"== {report.title} ({seconds:.0f} s; load average {load}) =="]
    lines += [f"  {label:<{WIDTH}} {value}" for label, value in report.figures]
    if report.targets:
        lines.append("  targets:")
        lines += [f"    {format_target(target)}" for target in report.targets]
    lines += [f"  note: {note}" for note in report.notes]
    return "\n".join(lines)


def format_target(target: Target) -> str:
    """``PASS``/``MISS``, the figure and its limit."""
    verdict = "PASS" if target.met else "MISS"
    relation = ">=" if target.higher_is_better else "<="
    return (
        f"{verdict}  {target.name}: {target.measured:.2f} {target.unit} "
        f"(target {relation} {target.limit:g} {target.unit})"
    )


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks of the Build Atom API against real servers.",
        epilog="; ".join(f"{name}: {b.summary}" for name, b in BENCHMARKS.items()),
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"{', '.join(BENCHMARKS)} or all"
    )
    defaults = BenchOptions()
    parser.add_argument("--combinations", type=int, default=defaults.combinations)
    parser.add_argument("--baseline-sample", type=int, default=defaults.baseline_sample)
    parser.add_argument("--export-rows", type=int, default=defaults.export_rows)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - {*BENCHMARKS, "all"})
    if unknown:
        parser.error(f"unknown benchmarks {unknown}; choose from {[*BENCHMARKS]}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks, each in its own environment; print reports."""
    args = parse_arguments(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    if not args.verbose:
        logger.setLevel(logging.INFO)
    options = BenchOptions(args.combinations, args.baseline_sample, args.export_rows)
    failed = []
    for name in selected(args.names):
        started = time.perf_counter()
        try:
            with bench_environment() as env:
                report = BENCHMARKS[name].run(env, options)
        except Exception:
            logger.exception("benchmark %s could not run", name)
            failed.append(name)
            continue
        print(format_report(report, time.perf_counter() - started), flush=True)
    if failed:
        print(f"benchmarks that could not run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
