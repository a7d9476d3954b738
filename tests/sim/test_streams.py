"""Named random streams: reproducible, order-independent, and independent across names."""

from __future__ import annotations

import numpy as np
from scipy import stats

from spmopt.sim.streams import RandomStreams


def test_same_key_same_draws_whatever_the_order():
    first = RandomStreams(seed=11)
    a = first.generator("leads", replication=3, rep="r7").normal(size=5)
    b = first.generator("sizes", replication=3, rep="r7").normal(size=5)
    second = RandomStreams(seed=11)
    b_again = second.generator("sizes", replication=3, rep="r7").normal(size=5)
    a_again = second.generator("leads", replication=3, rep="r7").normal(size=5)
    assert np.array_equal(a, a_again) and np.array_equal(b, b_again)


def test_adding_a_stream_or_rep_leaves_existing_draws_unchanged():
    streams = RandomStreams(seed=5)
    before = streams.generator("noise", replication=0, rep=1).random(3)
    streams.generator("a_new_stream", replication=0).random(10)
    streams.generator("noise", replication=0, rep=999).random(10)
    assert np.array_equal(before, streams.generator("noise", replication=0, rep=1).random(3))


def test_different_keys_look_independent():
    """Correlation of 20,000 draws from two streams: |r| < 4/sqrt(n) fails with p ≈ 6e-5."""
    streams = RandomStreams(seed=1)
    n = 20_000
    x = streams.generator("x").normal(size=n)
    y = streams.generator("y").normal(size=n)
    z = streams.generator("x", replication=1).normal(size=n)
    assert abs(np.corrcoef(x, y)[0, 1]) < 4 / np.sqrt(n)
    assert abs(np.corrcoef(x, z)[0, 1]) < 4 / np.sqrt(n)
    assert stats.kstest(x, "norm").pvalue > 1e-4


def test_spawned_families_differ_and_are_reproducible():
    root = RandomStreams(seed=3)
    fresh = root.spawn("validation")
    assert fresh == RandomStreams(seed=3).spawn("validation")
    assert fresh.seed != root.seed
    assert not np.array_equal(root.generator("leads").random(4), fresh.generator("leads").random(4))
