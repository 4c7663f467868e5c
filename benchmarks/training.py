"""Training benchmark: ``POST /train-models`` on 1,000 combinations.

Seeds one scope (set ``Bench``) of weekly sales files shaped like the demo
data, times the endpoint through real HTTP against gunicorn, and times what a
user would write instead: for each combination, read the CSV from the same
MinIO with pandas and run scikit-learn's ``cross_validate`` on a pipeline of
``MinMaxScaler`` and each model, plus a final fit.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from benchmarks.harness import (
    BenchEnvironment,
    BenchOptions,
    Report,
    Target,
    check_response,
)
from benchmarks.resources import ThreadCpuSampler, cpu_usage, peak_growth
from migrations_seed.demo_sales import REGULAR_PRICE_BY_PPG

logger = logging.getLogger(__name__)

SCOPE_ID = "bench_scope"
SET_NAME = "Bench"
WARMUP_SET = "Warmup"
WARMUP_COMBINATIONS = 20
SEED = 20250101
WEEKS = 156
FIRST_WEEK = "2022-01-03"
X_VARIABLES = ["Price", "Distribution", "Promo"]
Y_VARIABLE = "Volume"
MODELS = ["linear", "ridge", "lasso", "elastic_net"]
K_FOLDS = 5
API_RUNS = 3
TARGET_SPEEDUP = 10.0
TARGET_SECONDS = 5.0
TARGET_RSS_MIB = 300.0
_PPGS = ("small", "medium", "large", "bulk")


@dataclass(frozen=True)
class BenchCombination:
    """One synthetic channel × brand × PPG combination."""

    channel: str
    brand: str
    ppg: str

    @property
    def combination_id(self) -> str:
        """``<channel>_<brand>_<ppg>``, as the demo data names them."""
        return f"{self.channel}_{self.brand}_{self.ppg}"

    @property
    def file_key(self) -> str:
        """Key of the combination's CSV in the data bucket."""
        return f"bench/{self.combination_id}.csv"

    def scope_entry(self, set_name: str) -> dict[str, Any]:
        """The combination as an entry of the scope document."""
        return {
            "combination_id": self.combination_id,
            "set_name": set_name,
            "channel": self.channel,
            "brand": self.brand,
            "ppg": self.ppg,
            "file_key": self.file_key,
            "record_count": WEEKS,
        }


def bench_combinations(count: int) -> list[BenchCombination]:
    """``count`` distinct combinations over 4 PPGs, 25 brands and channels."""
    return [
        BenchCombination(f"ch{i // 100:02d}", f"brand{i // 4 % 25:02d}", _PPGS[i % 4])
        for i in range(count)
    ]


def sales_csv(combination: BenchCombination, rng: np.random.Generator) -> bytes:
    """Weekly sales of one combination: volume linear in price, distribution,
    promotion and a yearly season, plus Gaussian noise (as the demo data)."""
    base = rng.uniform(4_000.0, 16_000.0)
    regular_price = rng.uniform(*REGULAR_PRICE_BY_PPG[combination.ppg])
    mean_distribution = rng.uniform(0.55, 0.85)
    price_effect = rng.uniform(-2.2, -1.2) * base / regular_price
    distribution_effect = base * rng.uniform(0.4, 0.8)
    intercept = base - price_effect * regular_price
    intercept -= distribution_effect * mean_distribution

    week = np.arange(WEEKS)
    promo = (rng.random(WEEKS) < rng.uniform(0.15, 0.25)).astype(np.int64)
    regular = regular_price * np.exp(rng.normal(0.0, 0.05, WEEKS))
    price = np.round(regular * (1.0 - rng.uniform(0.1, 0.3, WEEKS) * promo), 4)
    drift = np.cumsum(rng.normal(0.0, 0.005, WEEKS))
    distribution = np.round(np.clip(mean_distribution + drift, 0.05, 1.0), 4)
    season = base * 0.015 * np.sin(2.0 * np.pi * week / 52 + rng.uniform(0, 6.28))
    volume = (
        intercept
        + price_effect * price
        + distribution_effect * distribution
        + base * rng.uniform(0.08, 0.2) * promo
        + season
        + rng.normal(0.0, base * 0.01, WEEKS)
    )
    dates = np.datetime64(FIRST_WEEK) + 7 * week
    frame = pd.DataFrame(
        {
            "Date": np.datetime_as_string(dates, unit="D"),
            "Channel": combination.channel,
            "Brand": combination.brand,
            "PPG": combination.ppg,
            "Price": price,
            "Distribution": distribution,
            "Promo": promo,
            "Volume": np.round(volume, 4),
            "Revenue": np.round(price * volume, 4),
        }
    )
    text = frame.to_csv(index=False, float_format="%.4f", lineterminator="\n")
    return text.encode("utf-8")


def seed_scope(env: BenchEnvironment, combinations: Sequence[BenchCombination]) -> int:
    """Write the CSV files, then the scope document; return the bytes written."""
    rng = np.random.default_rng(SEED)
    files = {c.file_key: sales_csv(c, rng) for c in combinations}

    def put(item: tuple[str, bytes]) -> None:
        env.s3.put_object(Bucket=env.data_bucket, Key=item[0], Body=item[1])

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, files.items()))
    env.database["scopes"].insert_one(scope_document(combinations))
    return sum(len(body) for body in files.values())


def scope_document(combinations: Sequence[BenchCombination]) -> dict[str, Any]:
    """The bench scope: set ``Bench`` and a small ``Warmup`` set."""
    warmup = combinations[:WARMUP_COMBINATIONS]
    return {
        "_id": SCOPE_ID,
        "scope_id": SCOPE_ID,
        "scope_name": "Benchmark Scope",
        "combinations": [
            *(c.scope_entry(SET_NAME) for c in combinations),
            *(c.scope_entry(WARMUP_SET) for c in warmup),
        ],
    }


def training_body(set_name: str) -> dict[str, Any]:
    """The request body of the benchmarked training."""
    return {
        "scope_id": SCOPE_ID,
        "set_name": set_name,
        "x_variables": X_VARIABLES,
        "y_variable": Y_VARIABLE,
        "price_column": "Price",
        "standardization": "minmax",
        "k_folds": K_FOLDS,
        "models_to_run": MODELS,
    }


def train_through_api(env: BenchEnvironment, set_name: str) -> tuple[float, Any]:
    """POST one training; return its wall time in seconds and the body."""
    started = time.perf_counter()
    response = env.http.post(
        env.url("/train-models"), json=training_body(set_name), timeout=600
    )
    body = check_response(response, f"training set {set_name}")
    return time.perf_counter() - started, body


def _sklearn_models() -> dict[str, Any]:
    return {
        "linear": LinearRegression(),
        "ridge": Ridge(),
        "lasso": Lasso(),
        "elastic_net": ElasticNet(),
    }


def baseline_combination(
    env: BenchEnvironment, combination: BenchCombination
) -> dict[str, dict[str, float]]:
    """What a user would write for one combination; mean test scores per model."""
    body = env.s3.get_object(Bucket=env.data_bucket, Key=combination.file_key)
    frame = pd.read_csv(io.BytesIO(body["Body"].read()))
    X, y = frame[X_VARIABLES], frame[Y_VARIABLE]
    scores = {}
    for name, model in _sklearn_models().items():
        cv = cross_validate(
            make_pipeline(MinMaxScaler(), model),
            X,
            y,
            cv=KFold(K_FOLDS),
            scoring={"r2": "r2", "mape": "neg_mean_absolute_percentage_error"},
            return_train_score=True,
        )
        make_pipeline(MinMaxScaler(), model).fit(X, y)
        scores[name] = {
            "r2_test": float(cv["test_r2"].mean()),
            "mape_test": float(-cv["test_mape"].mean()),
        }
    return scores


def baseline_sample(count: int, sample: int) -> list[int]:
    """Positions of ``sample`` combinations spread evenly over ``count``."""
    sample = min(sample, count)
    return sorted({int(i) for i in np.linspace(0, count - 1, sample)})


def largest_difference(
    api_body: dict[str, Any],
    baseline: dict[int, dict[str, dict[str, float]]],
) -> float:
    """Largest |API − scikit-learn| of ``r2_test`` and ``mape_test``."""
    rows = api_body["combination_results"]
    largest = 0.0
    for position, by_model in baseline.items():
        for result in rows[position]["model_results"]:
            expected = by_model[result["model_name"]]
            for metric in ("r2_test", "mape_test"):
                largest = max(largest, abs(result[metric] - expected[metric]))
    return largest


@dataclass
class ApiRuns:
    """Timed trainings of the bench set through gunicorn."""

    seconds: list[float]
    body: dict[str, Any]
    cpu: dict[str, float]
    request_thread_cpu: float
    helper_threads_cpu: float
    rss: dict[str, float]

    @property
    def median(self) -> float:
        """Median wall time, the figure held against the target."""
        return float(np.median(self.seconds))


def time_api(env: BenchEnvironment, runs: int) -> ApiRuns:
    """Warm up on a small set, then train the bench set ``runs`` times."""
    worker = env.worker_pid()
    train_through_api(env, WARMUP_SET)
    seconds = []
    with (
        cpu_usage(env.server_pids()) as cpu,
        ThreadCpuSampler(worker) as threads,
        peak_growth(worker) as rss,
    ):
        for _ in range(runs):
            elapsed, body = train_through_api(env, SET_NAME)
            seconds.append(elapsed)
            logger.info("API training: %.2f s", elapsed)
    request, pools = threads.old_and_new()
    per_run = {name: used / runs for name, used in cpu.items()}
    return ApiRuns(seconds, body, per_run, request / runs, pools / runs, rss)


def time_baseline(
    env: BenchEnvironment, chosen: Sequence[BenchCombination], sample: int
) -> tuple[float, dict[int, dict[str, dict[str, float]]]]:
    """Seconds of the user-written loop over a sample, and its test scores."""
    positions = baseline_sample(len(chosen), sample)
    baseline_combination(env, chosen[0])  # imports and first-call set-up
    logger.info("baseline on %d combinations", len(positions))
    started = time.perf_counter()
    scores = {p: baseline_combination(env, chosen[p]) for p in positions}
    return time.perf_counter() - started, scores


def run(env: BenchEnvironment, options: BenchOptions) -> Report:
    """Seed, train through the API, run the baseline sample; report."""
    count = options.combinations
    report = Report(f"training: {count} combinations x {len(MODELS)} models")
    chosen = bench_combinations(count)
    started = time.perf_counter()
    size = seed_scope(env, chosen)
    logger.info(
        "seeded %d files (%.1f MiB) in %.1f s",
        count,
        size / 2**20,
        time.perf_counter() - started,
    )

    api = time_api(env, API_RUNS)
    summary = api.body["summary"]
    if summary["failed_combinations"]:
        report.notes.append(f"failed: {summary['failed_combinations'][:3]}")
    baseline_seconds, scores = time_baseline(env, chosen, options.baseline_sample)
    per_combination = baseline_seconds / len(scores)
    extrapolated = per_combination * count
    speedup = extrapolated / api.median

    runs = ", ".join(f"{seconds:.2f}" for seconds in api.seconds)
    report.figure("API wall time, median (HTTP, end to end)", f"{api.median:.2f} s")
    report.figure(f"  the {len(api.seconds)} runs", f"{runs} s")
    report.figure(
        "  server-side duration_seconds (last run)",
        f"{summary['duration_seconds']:.2f} s",
    )
    report.figure("  models saved per run", f"{summary['total_models_saved']}")
    for name, seconds in api.cpu.items():
        report.figure(f"  CPU of {name} per run", f"{seconds:.2f} s")
    report.figure("    of which request threads", f"{api.request_thread_cpu:.2f} s")
    report.figure(
        "    of which read/insert pool threads", f"{api.helper_threads_cpu:.2f} s"
    )
    report.figure(
        f"baseline measured ({len(scores)} combinations)",
        f"{baseline_seconds:.2f} s ({per_combination * 1000:.1f} ms per combination)",
    )
    report.figure(f"baseline extrapolated to {count}", f"{extrapolated:.1f} s")
    report.figure("speed-up (baseline / API median)", f"{speedup:.1f}x")
    rss = api.rss
    report.figure(
        "worker RSS before / after / peak",
        f"{rss['before']:.0f} / {rss['after']:.0f} / {rss['peak']:.0f} MiB",
    )
    report.figure("worker peak RSS growth", f"{rss['growth']:.0f} MiB")
    report.figure(
        "max |API - scikit-learn| (r2, MAPE test)",
        f"{largest_difference(api.body, scores):.2e}",
    )
    report.notes.append(
        f"baseline ran on {len(scores)} of {count} combinations "
        "(evenly spaced) and is extrapolated linearly"
    )
    if not rss["peak_reset"]:
        report.notes.append("peak RSS counts from worker start (clear_refs refused)")
    report.targets += [
        Target("speed-up vs baseline", speedup, TARGET_SPEEDUP, "x", True),
        Target("API end to end (median)", api.median, TARGET_SECONDS, "s"),
        Target("worker peak RSS growth", rss["growth"], TARGET_RSS_MIB, "MiB"),
    ]
    return report
