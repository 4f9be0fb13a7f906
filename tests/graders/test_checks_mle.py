"""Controls for the maximum-likelihood checks (``graders/checks/mle.py``).

Positive controls: the reference (in process) and honest alternatives (in the sandbox) get every
point. Negative controls: each catalogued misconception fails its check with its diagnosis, as
the catalogue's variant and as a student writes it, and costs no other check.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import xlogy

from graders.checks import mle
from graders.diagnose import Misconception
from tests.graders.grading import (
    MLE,
    Graded,
    InProcessSession,
    as_student,
    assert_fails_as_expected,
    assert_full_marks,
    assert_only_these_fail,
    assignment,
    catalogued_misconceptions,
    float32_references,
    grade_controls,
    reference_functions,
    run_in_process,
)

SPEC = assignment(MLE)
CHECK_IDS = [c.id for q in SPEC.questions for c in q.checks]

REFERENCE = reference_functions(MLE)


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_reference_passes(check_id: str) -> None:
    record = run_in_process(MLE, check_id, InProcessSession(REFERENCE))
    assert record.status == "passed", record.message


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_float32_results_pass(check_id: str) -> None:
    """The references' values rounded to float32 get every point: no tolerance is finer than
    float32 where the question does not need it."""
    record = run_in_process(MLE, check_id, InProcessSession(float32_references(MLE)))
    assert record.status == "passed", record.message


CATALOGUE: list[tuple[str, Misconception, str]] = [
    (
        "bernoulli_log_likelihood_matches_reference",
        mle.BERNOULLI_LL_MISTAKES[0],
        r"^likelihood-not-log-likelihood: ",
    ),
    (
        "bernoulli_log_likelihood_handles_certain_coins",
        mle.BERNOULLI_LL_MISTAKES[0],
        r"^likelihood-not-log-likelihood: ",
    ),
    (
        "bernoulli_log_likelihood_handles_certain_coins",
        mle.BERNOULLI_LL_MISTAKES[1],
        r"^unguarded-log: 0 \* log\(0\)",
    ),
    ("normal_mle_matches_reference", mle.NORMAL_MLE_MISTAKES[0], r"^ddof-1: .*ddof=0"),
    ("normal_mle_matches_reference", mle.NORMAL_MLE_MISTAKES[1], r"^variance-not-std: "),
    (
        "normal_log_likelihood_matches_reference",
        mle.NORMAL_LL_MISTAKES[0],
        r"^missing-constant: .*log\(2 pi\)",
    ),
    (
        "normal_log_likelihood_matches_reference",
        mle.NORMAL_LL_MISTAKES[1],
        r"^sigma-as-variance: ",
    ),
    (
        "bernoulli_log_likelihood_handles_many_flips",
        mle.BERNOULLI_LL_MISTAKES[2],
        r"^log-of-product: .*underflows to 0\.0",
    ),
    (
        "normal_log_likelihood_handles_many_observations",
        mle.NORMAL_LL_MISTAKES[2],
        r"^log-of-product: .*underflows",
    ),
]


@pytest.mark.parametrize(
    ("check_id", "mistake", "diagnosis"),
    CATALOGUE,
    ids=[f"{m.name}-{c}" for c, m, _ in CATALOGUE],
)
def test_misconception_fails_with_its_diagnosis(
    check_id: str, mistake: Misconception, diagnosis: str
) -> None:
    record = as_student(MLE, check_id, mistake.variant)
    assert_fails_as_expected(record, "failed", diagnosis, "")


def test_catalogue_is_covered() -> None:
    assert catalogued_misconceptions(mle) == {m.name for _, m, _ in CATALOGUE}


def test_log_of_product_is_right_on_few_flips() -> None:
    """log(prod(...)) is right until the product underflows: only many flips may cost points."""
    for check_id in (
        "bernoulli_log_likelihood_matches_reference",
        "bernoulli_log_likelihood_handles_certain_coins",
    ):
        record = as_student(MLE, check_id, mle.BERNOULLI_LL_MISTAKES[2].variant)
        assert record.status == "passed", record.message


# --- the styles students write in (in process): each must get every point of its question -----


def _bll_loop(p: float, flips: Any) -> float:
    total = 0.0
    for flip in flips:
        total += math.log(p) if flip == 1 else math.log(1 - p)
    return total


def _bll_pandas(p: float, flips: Any) -> Any:
    heads = pd.Series(flips).sum()
    tails = len(flips) - heads
    return (heads * np.log(p) if heads else 0.0) + (tails * np.log(1 - p) if tails else 0.0)


def _nll_loop(mu: float, sigma: float, x: Any) -> float:
    return sum(-0.5 * math.log(2 * math.pi * sigma**2) - (v - mu) ** 2 / (2 * sigma**2) for v in x)


def _nmle_list(x: Any) -> list[float]:
    mean = sum(x) / len(x)
    return [mean, math.sqrt(sum((v - mean) ** 2 for v in x) / len(x))]


STYLES: list[tuple[str, Callable[..., Any]]] = [
    ("bernoulli_log_likelihood", lambda p, f: stats.bernoulli.logpmf(f, p).sum()),
    ("bernoulli_log_likelihood", _bll_loop),
    ("bernoulli_log_likelihood", _bll_pandas),
    (
        "bernoulli_log_likelihood",
        lambda p, f: np.float32(xlogy(np.sum(f), p) + xlogy(len(f) - np.sum(f), 1 - p)),
    ),
    ("bernoulli_mle", lambda f: pd.Series(f).mean()),
    ("bernoulli_mle", lambda f: sum(f) / len(f)),
    ("bernoulli_mle", lambda f: np.mean(np.asarray(f, dtype=np.float32))),  # float32
    ("normal_log_likelihood", lambda mu, sigma, x: stats.norm.logpdf(x, mu, sigma).sum()),
    ("normal_log_likelihood", _nll_loop),
    ("normal_mle", lambda x: (pd.Series(x).mean(), pd.Series(x).std(ddof=0))),
    ("normal_mle", lambda x: stats.norm.fit(x)),
    ("normal_mle", _nmle_list),
    ("normal_mle", lambda x: pd.Series([np.mean(x), np.std(x)])),
]


@pytest.mark.parametrize(
    ("name", "function"), STYLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(STYLES)]
)
def test_common_style_gets_every_point(name: str, function: Callable[..., Any]) -> None:
    for check_id in (c.id for q in SPEC.questions if q.name == name for c in q.checks):
        record = run_in_process(MLE, check_id, InProcessSession({name: function}))
        assert record.status == "passed", f"{check_id}: {record.message}"


def test_unguarded_log_is_right_away_from_the_edges() -> None:
    """y log p + (1 - y) log(1 - p) is exact for 0 < p < 1: only p in {0, 1} may cost points."""
    record = as_student(
        MLE, "bernoulli_log_likelihood_matches_reference", mle.BERNOULLI_LL_MISTAKES[1].variant
    )
    assert record.status == "passed", record.message


# --- submissions graded in the sandbox ---------------------------------------------------------

SCIPY_AND_PANDAS = '''
"""Honest alternative: scipy.stats log-densities, pandas statistics, numpy scalars, and the MLEs
returned as a numpy array."""
import numpy as np
import pandas as pd
from scipy import stats


def bernoulli_log_likelihood(p, flips):
    return stats.bernoulli.logpmf(np.asarray(flips), p).sum()


def bernoulli_mle(flips):
    return pd.Series(flips).mean()


def normal_log_likelihood(mu, sigma, x):
    return stats.norm.logpdf(x, loc=mu, scale=sigma).sum()


def normal_mle(x):
    s = pd.Series(np.asarray(x, dtype=float))
    return np.array([s.mean(), s.std(ddof=0)])
'''

STDLIB_AND_XLOGY = '''
"""Honest alternative: counts with xlogy (0 log 0 = 0), the statistics module, math.fsum, and
the MLEs returned as a list."""
import math
import statistics

from scipy.special import xlogy


def bernoulli_log_likelihood(p, flips):
    heads = sum(int(f) for f in flips)
    return float(xlogy(heads, p) + xlogy(len(flips) - heads, 1 - p))


def bernoulli_mle(flips):
    return sum(flips) / len(flips)


def normal_log_likelihood(mu, sigma, x):
    n = len(x)
    squares = math.fsum((float(v) - mu) ** 2 for v in x)
    return -n * math.log(sigma) - n / 2 * math.log(2 * math.pi) - squares / (2 * sigma**2)


def normal_mle(x):
    values = [float(v) for v in x]
    return [statistics.fmean(values), statistics.pstdev(values)]
'''

MISTAKES_A = """
import numpy as np


def bernoulli_log_likelihood(p, flips):
    flips = np.asarray(flips)
    return float(np.prod(np.where(flips == 1, p, 1 - p)))  # the likelihood, not its log


def bernoulli_mle(flips):
    return int(np.sum(flips))  # the number of heads, not the fraction


def normal_log_likelihood(mu, sigma, x):
    x = np.asarray(x, dtype=float)
    return float(np.sum(-np.log(sigma) - (x - mu) ** 2 / (2 * sigma**2)))


def normal_mle(x):
    return np.mean(x), np.std(x, ddof=1)
"""

MISTAKES_B = """
import numpy as np


def bernoulli_log_likelihood(p, flips):
    flips = np.asarray(flips, dtype=float)
    return float(np.sum(flips * np.log(p) + (1 - flips) * np.log(1 - p)))


def bernoulli_mle(flips):
    return float(np.mean(flips))


def normal_log_likelihood(mu, sigma, x):
    x = np.asarray(x, dtype=float)
    return float(-len(x) / 2 * np.log(2 * np.pi * sigma) - np.sum((x - mu) ** 2) / (2 * sigma))


def normal_mle(x):
    mu = x.mean()
    x -= mu  # centres the caller's sample in place
    return mu, np.mean(x**2)  # and returns the variance
"""

# Log of the likelihood: right until the product underflows, on a few thousand observations.
MISTAKES_C = """
import numpy as np
from scipy import stats


def bernoulli_log_likelihood(p, flips):
    flips = np.asarray(flips)
    return np.log(np.prod(p**flips * (1 - p) ** (1 - flips)))


def bernoulli_mle(flips):
    return float(np.mean(flips))


def normal_log_likelihood(mu, sigma, x):
    return np.log(np.prod(stats.norm.pdf(x, mu, sigma)))


def normal_mle(x):
    return float(np.mean(x)), float(np.std(x))
"""

POSITIVE_SAMPLES = ("solution.py", "loops.py", "scipy_style.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_controls(
        SPEC,
        tmp_path_factory.mktemp("mle"),
        sources={
            "scipy_and_pandas": SCIPY_AND_PANDAS,
            "stdlib_and_xlogy": STDLIB_AND_XLOGY,
            "mistakes_a": MISTAKES_A,
            "mistakes_b": MISTAKES_B,
            "mistakes_c": MISTAKES_C,
        },
        samples=POSITIVE_SAMPLES,
    )


@pytest.mark.parametrize("control", ["scipy_and_pandas", "stdlib_and_xlogy", *POSITIVE_SAMPLES])
def test_honest_alternative_gets_full_marks(graded: dict[str, Graded], control: str) -> None:
    assert_full_marks(graded[control], SPEC)


NEGATIVE: dict[str, dict[str, tuple[str | None, str]]] = {
    "mistakes_a": {
        "bernoulli_log_likelihood_matches_reference": (
            r"^likelihood-not-log-likelihood: ",
            r"Input: bernoulli_log_likelihood\(0\.7, array\(\[1, 0, 1, 1, 0, 1, \.\.\., 1, 1\]\)"
            r"(.|\n)*expected -6\.108643021 ± 6\.12e-07, got 0\.0022235661",
        ),
        "bernoulli_log_likelihood_handles_certain_coins": (
            r"^likelihood-not-log-likelihood: ",
            r"log-likelihood 0",
        ),
        "bernoulli_log_likelihood_handles_many_flips": (
            r"^likelihood-not-log-likelihood: ",
            r"on a few thousand flips",
        ),
        "bernoulli_mle_matches_reference": (None, r"expected 0\.7 ± .*, got 7\.0"),
        "normal_log_likelihood_matches_reference": (r"^missing-constant: ", ""),
        "normal_log_likelihood_handles_many_observations": (r"^missing-constant: ", ""),
        "normal_mle_matches_reference": (r"^ddof-1: ", r"tuple \(mu_hat, sigma_hat\)"),
    },
    "mistakes_b": {
        "bernoulli_log_likelihood_handles_certain_coins": (
            r"^unguarded-log: ",
            r"0 \* log 0 is nan in numpy(.|\n)*returned non-finite values",
        ),
        "normal_log_likelihood_matches_reference": (r"^sigma-as-variance: ", ""),
        "normal_log_likelihood_handles_many_observations": (r"^sigma-as-variance: ", ""),
        "normal_mle_matches_reference": (r"^variance-not-std: ", ""),
        "normal_mle_does_not_mutate_inputs": (None, r"changed its argument #1 in place"),
    },
    "mistakes_c": {
        "bernoulli_log_likelihood_handles_many_flips": (
            r"^log-of-product: ",
            r"on a few thousand flips(.|\n)*returned non-finite values",
        ),
        # With a small sigma, a handful of densities already underflow.
        "normal_log_likelihood_matches_reference": (r"^log-of-product: ", ""),
        "normal_log_likelihood_handles_many_observations": (r"^log-of-product: ", ""),
    },
}

NEGATIVE_CASES = [(control, check) for control, table in NEGATIVE.items() for check in table]


@pytest.mark.parametrize(("control", "check_id"), NEGATIVE_CASES)
def test_mistake_fails_its_check(graded: dict[str, Graded], control: str, check_id: str) -> None:
    assert_fails_as_expected(
        graded[control].check(check_id), "failed", *NEGATIVE[control][check_id]
    )


@pytest.mark.parametrize("control", list(NEGATIVE))
def test_mistakes_cost_only_their_own_checks(graded: dict[str, Graded], control: str) -> None:
    assert_only_these_fail(graded[control], NEGATIVE[control])


def test_length_one_array_for_a_number_is_refused() -> None:
    """np.array([x]) broadcasts like a number, so it must fail with advice, not pass."""
    record = as_student(MLE, "bernoulli_mle_matches_reference", lambda f: [float(sum(f)) / len(f)])
    assert record.status == "failed"
    assert "A length-1 array is not a number" in record.message
