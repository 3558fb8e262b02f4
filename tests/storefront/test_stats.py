"""The statistics against values computed independently (scipy) and published examples."""

from __future__ import annotations

import math

import pytest
from scipy import integrate, optimize
from scipy import stats as scipy_stats

from sync.campaigns import stats


@pytest.mark.parametrize("successes,trials", [(0, 10), (1, 10), (10, 100), (81, 263), (50, 50)])
def test_wilson_bounds_solve_the_score_equation(successes, trials):
    """The Wilson bounds are the p where |p_hat - p| = z sqrt(p (1 - p) / n)."""
    got = stats.wilson(successes, trials)
    p_hat = successes / trials

    def score(p):
        return abs(p_hat - p) - stats.Z95 * math.sqrt(p * (1 - p) / trials)

    # The score is 0 at p_hat itself: search each side from just beyond it.
    low = 0.0 if successes == 0 else optimize.brentq(score, 1e-12, p_hat - 1e-9)
    high = 1.0 if successes == trials else optimize.brentq(score, p_hat + 1e-9, 1 - 1e-12)
    assert got.low == pytest.approx(low, abs=1e-9)
    assert got.high == pytest.approx(high, abs=1e-9)


def test_wilson_published_example():
    # Wikipedia's "Binomial proportion confidence interval" style check: 81 of 263.
    interval = stats.wilson(81, 263)
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.2553, 0.3662)
    assert stats.wilson(0, 0) is None


def _integrated(alpha_a, beta_a, alpha_b, beta_b) -> float:
    """P(B > A) = integral of pdf_B(x) * cdf_A(x), numerically (scipy)."""

    def integrand(x):
        return scipy_stats.beta.pdf(x, alpha_b, beta_b) * scipy_stats.beta.cdf(x, alpha_a, beta_a)

    value, _error = integrate.quad(integrand, 0, 1, limit=500, epsabs=1e-12)
    return value


@pytest.mark.parametrize(
    "control,variant",
    [
        ((10, 100), (15, 100)),
        ((0, 20), (0, 20)),
        ((30, 1000), (45, 1000)),
        ((200, 4000), (180, 4000)),
        ((3, 10), (9, 12)),
    ],
)
def test_chance_to_beat_control_matches_numeric_integration(control, variant):
    (cs, cn), (vs, vn) = control, variant
    got = stats.chance_to_beat(vs, vn, cs, cn)
    expected = _integrated(1 + cs, 1 + cn - cs, 1 + vs, 1 + vn - vs)
    assert got == pytest.approx(expected, abs=1e-6)


def test_identical_arms_are_a_coin_toss_and_the_normal_form_takes_over_smoothly():
    assert stats.chance_to_beat(50, 1000, 50, 1000) == pytest.approx(0.5, abs=1e-9)
    exact = stats.prob_b_beats_a(4001, 96001, 4101, 95901)
    approximate = stats._normal_approximation(4001, 96001, 4101, 95901)
    assert exact == pytest.approx(approximate, abs=2e-3)
    assert stats.chance_to_beat(10, 0, 5, 100) is None


@pytest.mark.parametrize(
    "statistic,dof", [(0.5, 1), (3.84, 1), (10.83, 1), (7.0, 2), (25.0, 4), (150.0, 3), (0.01, 5)]
)
def test_chi_square_survival_matches_scipy(statistic, dof):
    assert stats.chi_square_sf(statistic, dof) == pytest.approx(
        scipy_stats.chi2.sf(statistic, dof), rel=1e-9, abs=1e-15
    )


def test_sample_ratio_mismatch():
    fine = stats.sample_ratio([5030, 4970], [1, 1])
    assert not fine.mismatch and fine.p_value == pytest.approx(
        scipy_stats.chisquare([5030, 4970]).pvalue
    )
    broken = stats.sample_ratio([5300, 4700], [1, 1])
    assert broken.mismatch
    weighted = stats.sample_ratio([900, 100, 0], [9, 1, 0])
    assert not weighted.mismatch and weighted.statistic == pytest.approx(0)
    assert stats.sample_ratio([10], [1]) is None


def test_visitors_needed_matches_the_textbook_formula():
    # 10% -> 12% (a 20% lift), alpha 5% two-sided, power 80%: 3,841 per group (Fleiss,
    # without continuity correction).
    assert stats.visitors_needed(0.10, 0.20) == 3841
    p1, p2 = 0.03, 0.036
    z_a, z_b = scipy_stats.norm.ppf(0.975), scipy_stats.norm.ppf(0.8)
    pooled = (p1 + p2) / 2
    expected = (
        z_a * math.sqrt(2 * pooled * (1 - pooled)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    ) ** 2 / (p2 - p1) ** 2
    assert stats.visitors_needed(0.03) == math.ceil(expected)


def test_enough_data():
    enough, needed, missing = stats.enough_data([(5, 50), (4, 60)], (5, 50))
    assert not enough and needed == stats.visitors_needed(stats.PRIOR_RATE)
    assert missing == [needed - 50, needed - 60]
    enough, needed, missing = stats.enough_data([(500, 5000), (560, 5000)], (500, 5000))
    assert enough and needed == stats.visitors_needed(0.10) and missing == [0, 0]
