"""Marketing benchmark: the API document's headline shape through real HTTP.

Seeds a scope of 4 brand × market combinations with 50,000 rows in total
(25 regions × 500 weeks each, the demo data's process), then times
prepare-data + transform-variables and train-models (2 y variables × 3 model
types = 24 models, sign constraints on). Side by side, on the same training
matrices read back from the transformed Parquet, it times the naive
projected gradient descent a user would write with the request's learning
rate and iterations, and compares each model's objective.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.harness import (
    BenchEnvironment,
    BenchOptions,
    Report,
    Target,
    check_response,
)
from buildatom.modeling.marketing_baseline import projected_gradient_descent
from buildatom.modeling.marketing_models import objective_value, sign_constraint_bounds
from buildatom.modeling.marketing_split import time_ordered_split
from migrations_seed.demo_marketing import geometric_adstock, logistic_saturation

logger = logging.getLogger(__name__)

SCOPE_ID = "bench_marketing_scope"
SET_NAME = "MMM_Bench"
WARMUP_SET = "MMM_Warmup"
SEED = 20240101
BRANDS_MARKETS = (("heinz", "US"), ("heinz", "CA"), ("kraft", "US"), ("kraft", "CA"))
REGIONS = 25
WEEKS = 500
WARMUP_WEEKS = 52
MEDIA = {  # spend when on air, carryover, growth rate, midpoint, beta share
    "TV_Spend": (45_000.0, 0.55, 4.5, 0.4, 0.15),
    "Digital_Spend": (18_000.0, 0.25, 6.0, 0.45, 0.11),
    "Print_Spend": (5_500.0, 0.35, 4.5, 0.5, 0.04),
}
OTHER = ["Price", "Distribution"]
NON_SCALED = ["Holiday_Flag"]
Y_VARIABLES = ["Revenue", "Volume"]
MODEL_TYPES = ["RIDGE", "LASSO", "LINEAR"]
CONSTRAINTS = {
    "TV_Spend_transformed": "positive",
    "Digital_Spend_transformed": "positive",
    "Print_Spend_transformed": "positive",
    "Price": "negative",
}
LEARNING_RATE = 0.01
ITERATIONS = 1000
SPLIT = 0.8
HEADLINE_SECONDS = 45.2
TARGET_PREPARE_TRANSFORM_SECONDS = 2.0
TARGET_TRAIN_SECONDS = 1.0
TARGET_HEADLINE_SPEEDUP = 45.0
TARGET_BASELINE_SPEEDUP = 10.0
REPEATS = 3


@dataclass(frozen=True)
class Timed:
    """A response body and how long the request took, in seconds."""

    seconds: float
    body: Any


def combination_csv(brand: str, market: str, weeks: int, rng: Any) -> bytes:
    """Weekly rows of one combination: 25 regions, logistic-adstock media."""
    base = rng.uniform(20_000.0, 50_000.0)
    price_level = rng.uniform(3.0, 5.0)
    price_effect = rng.uniform(-1.6, -0.8) * base / price_level
    dates = pd.date_range("2015-01-05", periods=weeks, freq="7D")
    parts = []
    for region in range(REGIONS):
        price = price_level * rng.uniform(0.97, 1.03, weeks)
        price *= 1.0 - rng.uniform(0.05, 0.2, weeks) * (rng.random(weeks) < 0.12)
        distribution = np.clip(
            rng.uniform(0.7, 0.85) + rng.normal(0, 0.01, weeks), 0, 1
        )
        holiday = (rng.random(weeks) < 9 / 104).astype(np.int64)
        volume = (
            base * rng.uniform(0.98, 1.02)
            + price_effect * (price - price_level)
            + base * 0.4 * (distribution - 0.75)
            + base * 0.08 * holiday
        )
        columns: dict[str, Any] = {}
        for name, (spend, carryover, growth, midpoint, share) in MEDIA.items():
            on_air = np.repeat(rng.random(weeks // 2 + 1) < 0.7, 2)[:weeks]
            columns[name] = np.round(on_air * spend * rng.lognormal(0, 0.3, weeks), 4)
            response = logistic_saturation(
                geometric_adstock(columns[name], carryover), growth, midpoint
            )
            volume = volume + base * share * response
        volume = volume + rng.normal(0.0, 0.02 * base, weeks)
        parts.append(
            pd.DataFrame(
                {
                    "Date": dates.strftime("%Y-%m-%d"),
                    "Region": f"Region_{region:02d}",
                    "Brand": brand,
                    "Market": market,
                    **columns,
                    "Price": np.round(price, 4),
                    "Distribution": np.round(distribution, 4),
                    "Holiday_Flag": holiday,
                    "Fiscal_Year": dates.year,
                    "Revenue": np.round(price * volume, 4),
                    "Volume": np.round(volume, 4),
                }
            )
        )
    frame = pd.concat(parts).sort_values(["Date", "Region"], kind="stable")
    text = frame.to_csv(index=False, float_format="%.4f", lineterminator="\n")
    return text.encode("utf-8")


def seed_scope(env: BenchEnvironment) -> int:
    """Write the bench set, a small warm-up set and the scope; return rows."""
    rng = np.random.default_rng(SEED)
    entries = []
    for set_name, weeks in ((SET_NAME, WEEKS), (WARMUP_SET, WARMUP_WEEKS)):
        for brand, market in BRANDS_MARKETS:
            key = f"bench-marketing/{set_name}/{brand}_{market}.csv"
            body = combination_csv(brand, market, weeks, rng)
            env.s3.put_object(Bucket=env.data_bucket, Key=key, Body=body)
            entries.append(
                {
                    "combination_id": f"{brand}_{market}",
                    "set_name": set_name,
                    "brand": brand,
                    "market": market,
                    "file_key": key,
                    "record_count": REGIONS * weeks,
                }
            )
    env.database["scopes"].insert_one(
        {"_id": SCOPE_ID, "scope_id": SCOPE_ID, "combinations": entries}
    )
    return REGIONS * WEEKS * len(BRANDS_MARKETS)


def post(env: BenchEnvironment, path: str, body: dict[str, Any]) -> Timed:
    """POST a marketing endpoint; the wall time and the 200 body."""
    started = time.perf_counter()
    response = env.http.post(env.url(f"/marketing/{path}"), json=body, timeout=600)
    answer = check_response(response, path)
    return Timed(time.perf_counter() - started, answer)


def run_chain(env: BenchEnvironment, set_name: str) -> tuple[Timed, Timed, Timed]:
    """prepare-data, transform-variables and train-models on one set."""
    prepared = post(
        env,
        "prepare-data",
        {"scope_id": SCOPE_ID, "set_name": set_name, "remove_zero_columns": True},
    )
    transformed = post(
        env,
        "transform-variables",
        {
            "run_id": prepared.body["run_id"],
            "media_variables": list(MEDIA),
            "other_variables": OTHER,
            "non_scaled_variables": NON_SCALED,
            "transformation_type": "logistic",
            "standardization_method": "minmax",
        },
    )
    trained = post(
        env,
        "train-models",
        {
            "run_id": transformed.body["transform_id"],
            "model_types": MODEL_TYPES,
            "y_variables": Y_VARIABLES,
            "train_test_split": SPLIT,
            "use_constraints": True,
            "variable_constraints": [
                {"variable_name": name, "constraint_type": kind}
                for name, kind in CONSTRAINTS.items()
            ],
            "constraint_learning_rate": LEARNING_RATE,
            "constraint_iterations": ITERATIONS,
        },
    )
    return prepared, transformed, trained


def training_matrices(
    env: BenchEnvironment, transform_id: str
) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
    """Per combination, the training rows' X and each y, as the API split them."""
    columns = [f"{name}_transformed" for name in MEDIA] + OTHER + NON_SCALED
    prefix = f"marketing-transformed/{transform_id}/"
    listing = env.s3.list_objects_v2(Bucket=env.results_bucket, Prefix=prefix)
    matrices = {}
    for item in sorted(listing["Contents"], key=lambda entry: entry["Key"]):
        body = env.s3.get_object(Bucket=env.results_bucket, Key=item["Key"])
        frame = pd.read_parquet(io.BytesIO(body["Body"].read()))
        train = time_ordered_split(frame["Date"].to_numpy(), SPLIT)
        combination = f"{frame['Brand'].iloc[0]}_{frame['Market'].iloc[0]}"
        matrices[combination] = (
            frame.loc[train, columns].to_numpy(float),
            {y: frame.loc[train, y].to_numpy(float) for y in Y_VARIABLES},
        )
    return matrices


def baseline(
    matrices: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]],
    models: Sequence[dict[str, Any]],
) -> tuple[float, float]:
    """Time projected gradient descent on every model's matrices; return the
    seconds and the smallest relative gap (baseline − API) / API of the
    objective, in percent (>= 0: the API's optimum is never worse)."""
    columns = [f"{name}_transformed" for name in MEDIA] + OTHER + NON_SCALED
    lower, upper = sign_constraint_bounds(columns, CONSTRAINTS)
    seconds, smallest_gap = 0.0, np.inf
    for model in models:
        X, targets = matrices[model["combination_id"]]
        y = targets[model["y_variable"]]
        started = time.perf_counter()
        naive = projected_gradient_descent(
            X, y, model["model_type"], lower, upper, LEARNING_RATE, ITERATIONS
        )
        seconds += time.perf_counter() - started
        coefficients = model["coefficients"]
        api = objective_value(
            X,
            y,
            [coefficients[name] for name in columns],
            coefficients["intercept"],
            model["model_type"],
        )
        gap = 100.0 * (naive.objective_value - api) / abs(api)
        smallest_gap = min(smallest_gap, gap)
    return seconds, float(smallest_gap)


def median_seconds(timings: Sequence[Timed]) -> float:
    """The median wall time of repeated requests."""
    return float(np.median([timed.seconds for timed in timings]))


def run(env: BenchEnvironment, options: BenchOptions) -> Report:
    """Seed, run the chain through the API, run the baseline; report."""
    rows = seed_scope(env)
    report = Report(
        f"marketing: {len(BRANDS_MARKETS)} combinations, {rows:,} rows, "
        f"{len(Y_VARIABLES) * len(MODEL_TYPES) * len(BRANDS_MARKETS)} models"
    )
    run_chain(env, WARMUP_SET)
    chains = [run_chain(env, SET_NAME) for _ in range(REPEATS)]
    prepared, transformed, trained = chains[-1]
    training_id = trained.body["training_id"]
    results = env.http.get(env.url(f"/marketing/results/{training_id}"), timeout=60)
    models = check_response(results, "results")

    matrices = training_matrices(env, transformed.body["transform_id"])
    runs = [baseline(matrices, models) for _ in range(REPEATS)]
    baseline_seconds = float(np.median([seconds for seconds, _ in runs]))
    gap = runs[0][1]
    prepare_seconds = median_seconds([chain[0] for chain in chains])
    transform_seconds = median_seconds([chain[1] for chain in chains])
    train_seconds = median_seconds([chain[2] for chain in chains])
    front = prepare_seconds + transform_seconds
    headline = HEADLINE_SECONDS / train_seconds
    versus_baseline = baseline_seconds / train_seconds

    report.figure("rows prepared", f"{prepared.body['rows']:,}")
    report.figure("prepare-data (HTTP, median)", f"{prepare_seconds:.2f} s")
    report.figure("transform-variables (HTTP, median)", f"{transform_seconds:.2f} s")
    report.figure("train-models (HTTP, median)", f"{train_seconds:.2f} s")
    report.figure(
        "  server execution_time_seconds",
        f"{trained.body['execution_time_seconds']:.2f} s",
    )
    report.figure("  models trained", f"{trained.body['models_trained']}")
    report.figure("speed-up vs headline 45.2 s", f"{headline:.0f}x")
    report.figure(
        f"baseline PGD ({ITERATIONS} it., lr {LEARNING_RATE}, median)",
        f"{baseline_seconds:.2f} s",
    )
    report.figure("speed-up vs baseline", f"{versus_baseline:.1f}x")
    report.figure("min objective excess of baseline over API", f"{gap:.3g} %")
    report.notes.append(
        "baseline: fit time alone on matrices already in memory; API: whole "
        "request (Parquet read, fits, MongoDB writes, HTTP)"
    )
    report.notes.append(
        f"timings are medians of {REPEATS} runs after a warm-up on a 52-week set"
    )
    report.targets += [
        Target(
            "prepare + transform",
            front,
            TARGET_PREPARE_TRANSFORM_SECONDS,
            "s",
        ),
        Target("train-models", train_seconds, TARGET_TRAIN_SECONDS, "s"),
        Target("speed-up vs headline", headline, TARGET_HEADLINE_SPEEDUP, "x", True),
        Target(
            "speed-up vs baseline", versus_baseline, TARGET_BASELINE_SPEEDUP, "x", True
        ),
        Target("baseline objective excess over API", gap, 0.0, "%", True),
    ]
    return report
