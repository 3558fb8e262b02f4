"""The statistics of an A/B test, in plain Python (deterministic; no numeric library).

- Rates with 95% Wilson score intervals (good at small counts and near 0 or 1, where the
  normal approximation gives intervals outside [0, 1]).
- Chance to beat control: P(p_variant > p_control) with independent Beta(1 + successes,
  1 + failures) posteriors (uniform priors), computed exactly with Evan Miller's closed
  form (a sum of as many terms as the variant has successes, in log space); past
  EXACT_LIMIT terms, by the normal approximation of the two Betas (their difference is
  then very close to normal).
- Sample ratio mismatch: Pearson's chi-square of the visitors per variant against the
  weights; p < SRM_P means the split is broken (a bug, bots, a cache), so results are not
  to be trusted whatever they say.
- Enough data: the visitors each arm needs to detect a relative lift of MIN_LIFT on the
  control's rate with a two-sided 5% test and 80% power (the classic two-proportion sample
  size), and never fewer than MIN_VISITORS visitors and MIN_SUCCESSES successes per arm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # two-sided 95%
Z80 = 0.8416212335729143  # one-sided 80% power
SRM_P = 0.001
MIN_VISITORS = 100
MIN_SUCCESSES = 10
MIN_LIFT = 0.20
# A baseline rate assumed until the control has shown enough to estimate its own.
PRIOR_RATE = 0.03
EXACT_LIMIT = 5_000


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def rate(successes: int, trials: int) -> float | None:
    return None if trials <= 0 else successes / trials


def wilson(successes: int, trials: int, z: float = Z95) -> Interval | None:
    """The Wilson score interval of a proportion (None without trials)."""
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def prob_b_beats_a(alpha_a: int, beta_a: int, alpha_b: int, beta_b: int) -> float:
    """P(X_B > X_A) for X_A ~ Beta(alpha_a, beta_a), X_B ~ Beta(alpha_b, beta_b), integers.

    Exact: sum over i < alpha_b of B(alpha_a + i, beta_a + beta_b) /
    ((beta_b + i) B(1 + i, beta_b) B(alpha_a, beta_a)).
    """
    if alpha_b > EXACT_LIMIT:
        return _normal_approximation(alpha_a, beta_a, alpha_b, beta_b)
    base = _log_beta(alpha_a, beta_a)
    total = 0.0
    for i in range(alpha_b):
        total += math.exp(
            _log_beta(alpha_a + i, beta_a + beta_b)
            - math.log(beta_b + i)
            - _log_beta(1 + i, beta_b)
            - base
        )
    return min(1.0, max(0.0, total))


def _normal_approximation(alpha_a, beta_a, alpha_b, beta_b) -> float:
    def moments(a, b):
        mean = a / (a + b)
        return mean, a * b / ((a + b) ** 2 * (a + b + 1))

    mean_a, var_a = moments(alpha_a, beta_a)
    mean_b, var_b = moments(alpha_b, beta_b)
    return normal_cdf((mean_b - mean_a) / math.sqrt(var_a + var_b))


def chance_to_beat(successes: int, trials: int, control_successes: int, control_trials: int):
    """P(variant's true rate > control's) under uniform priors (None without data)."""
    if trials <= 0 or control_trials <= 0:
        return None
    return prob_b_beats_a(
        1 + control_successes,
        1 + control_trials - control_successes,
        1 + successes,
        1 + trials - successes,
    )


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


# ---- sample ratio mismatch -------------------------------------------------------------


def _gamma_q(a: float, x: float) -> float:
    """Regularised upper incomplete gamma Q(a, x) (series below a + 1, continued fraction
    above: Numerical Recipes' gammq)."""
    if x <= 0:
        return 1.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(10_000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)


def chi_square_sf(statistic: float, dof: int) -> float:
    """P(chi-square with `dof` degrees of freedom >= statistic)."""
    return _gamma_q(dof / 2, statistic / 2)


@dataclass(frozen=True)
class SampleRatio:
    statistic: float
    p_value: float
    mismatch: bool
    expected: list[float]


def sample_ratio(observed: list[int], weights: list[float]) -> SampleRatio | None:
    """Pearson's chi-square of the observed split against the weights (arms of weight 0
    are left out; None with fewer than two arms or no visitors)."""
    pairs = [(o, w) for o, w in zip(observed, weights, strict=True) if w > 0]
    total = sum(o for o, _ in pairs)
    if len(pairs) < 2 or total <= 0:
        return None
    weight_sum = sum(w for _, w in pairs)
    expected = [total * w / weight_sum for _, w in pairs]
    statistic = sum((o - e) ** 2 / e for (o, _), e in zip(pairs, expected, strict=True))
    p_value = chi_square_sf(statistic, len(pairs) - 1)
    return SampleRatio(statistic, p_value, p_value < SRM_P, expected)


# ---- how many visitors ---------------------------------------------------------------------


def visitors_needed(baseline: float, lift: float = MIN_LIFT) -> int:
    """Visitors per arm to detect baseline -> baseline * (1 + lift), two-sided alpha 5%,
    power 80% (pooled-variance two-proportion formula)."""
    p1 = min(max(baseline, 1e-6), 1 - 1e-6)
    p2 = min(p1 * (1 + lift), 1 - 1e-6)
    pooled = (p1 + p2) / 2
    numerator = (
        Z95 * math.sqrt(2 * pooled * (1 - pooled)) + Z80 * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    ) ** 2
    return math.ceil(numerator / (p2 - p1) ** 2)


def enough_data(
    arms: list[tuple[int, int]], control: tuple[int, int] | None
) -> tuple[bool, int, list[int]]:
    """(enough, visitors needed per arm, visitors still needed per arm) for arms given as
    (successes, visitors). The baseline is the control's rate once it has MIN_SUCCESSES
    successes, else PRIOR_RATE."""
    baseline = PRIOR_RATE
    if control is not None and control[0] >= MIN_SUCCESSES and control[1] > 0:
        baseline = control[0] / control[1]
    needed = max(MIN_VISITORS, visitors_needed(baseline))
    missing = [max(0, needed - visitors) for _, visitors in arms]
    few_successes = any(successes < MIN_SUCCESSES for successes, _ in arms)
    return (not any(missing) and not few_successes), needed, missing
