"""Bucketing: the same visitor always gets the same variant; shares follow the weights."""

from __future__ import annotations

from dataclasses import dataclass

from scipy import stats as scipy_stats

from sync.campaigns.bucketing import choose, index_for, point


@dataclass
class V:
    key: str
    weight: int


def test_stable_across_calls_and_processes():
    # Fixed expectations: any server, any Python process, any day gives these.
    assert point("seed-1", "v_visitor_000001") == point("seed-1", "v_visitor_000001")
    variants = [V("a", 1), V("b", 1), V("c", 2)]
    picks = [choose("k3Jd9aQ2xY7b", f"v_{n:016d}", variants).key for n in range(12)]
    assert picks == EXPECTED_PICKS
    # Another seed reshuffles.
    other = [choose("another-seed", f"v_{n:016d}", variants).key for n in range(12)]
    assert other != picks


# Frozen: a change here would move every running A/B test's visitors.
EXPECTED_PICKS = ["b", "c", "a", "b", "c", "c", "c", "c", "a", "c", "c", "c"]


def test_the_point_is_the_documented_hash():
    """SHA-256 of "seed:visitor", first 8 bytes big-endian, scaled onto the weights."""
    import hashlib

    digest = hashlib.sha256(b"k3Jd9aQ2xY7b:v_0000000000000002").digest()
    value = int.from_bytes(digest[:8], "big")
    assert point("k3Jd9aQ2xY7b", "v_0000000000000002") == value
    # weights a=1, b=1, c=2: [0, 1) a, [1, 2) b, [2, 4) c
    expected = "abcc"[value * 4 // 2**64]
    assert expected == EXPECTED_PICKS[2]


def test_uniform_by_weights_chi_square():
    weights = [1, 1, 2, 6]
    counts = [0] * len(weights)
    total = 20_000
    for n in range(total):
        counts[index_for("seed-uniform", f"visitor-{n}", weights)] += 1
    expected = [total * w / sum(weights) for w in weights]
    result = scipy_stats.chisquare(counts, expected)
    assert result.pvalue > 0.001, (counts, result)


def test_zero_weights_are_never_chosen():
    weights = [0, 3, 0, 1]
    chosen = {index_for("s", f"v{n}", weights) for n in range(2000)}
    assert chosen == {1, 3}
    assert index_for("s", "v", [0, 0]) is None
    assert choose("s", "v", []) is None


def test_the_split_is_independent_between_campaigns():
    """A visitor's bucket in one campaign says nothing about another (different seeds)."""
    both = [0, 0, 0, 0]
    for n in range(8000):
        first = index_for("campaign-one", f"v{n}", [1, 1])
        second = index_for("campaign-two", f"v{n}", [1, 1])
        both[first * 2 + second] += 1
    assert scipy_stats.chisquare(both).pvalue > 0.001
