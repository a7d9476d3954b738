"""Ranking and selection (Kim–Nelson) and the optimality gap (multiple-replication procedure)
on toy problems whose answers are known."""

from __future__ import annotations

import numpy as np

from spmopt.optimise.selection import kim_nelson, optimality_gap_interval
from spmopt.sim.streams import RandomStreams


def _normal_systems(means, sigma, rho, generator, rows=4000):
    """Outputs of systems N(mean_j, σ²) whose replications share a common part (correlation ρ
    between systems: common random numbers)."""
    common = generator.standard_normal((rows, 1))
    own = generator.standard_normal((rows, len(means)))
    return np.asarray(means) + sigma * (np.sqrt(rho) * common + np.sqrt(1 - rho) * own)


def test_kim_nelson_selects_the_best_with_the_stated_probability():
    """Slippage configuration (the least favourable for an indifference-zone procedure): four
    systems at 0 and one at δ. The guarantee is P(correct selection) ≥ 1 − α = 0.95. Over 300
    independent macro-replications the count of correct selections is ≥ 285 in expectation
    (binomial sd 3.8 at p = 0.95); requiring ≥ 274 (3 sd below) fails falsely with probability
    < 0.2% if the procedure were exactly at its guarantee (it is conservative, so less)."""
    delta = 0.5
    means = [0.0, 0.0, delta, 0.0, 0.0]
    streams = RandomStreams(2024)
    correct, samples = 0, []
    for macro in range(300):
        data = _normal_systems(means, 1.0, 0.5, streams.generator("kn", replication=macro))

        def sample(first, count, alive, data=data):
            return data[first : first + count][:, alive]

        result = kim_nelson(sample, len(means), delta=delta, alpha=0.05, n0=10, batch=5)
        correct += result.best == 2
        samples.append(result.replications.sum())
        assert result.stopped == "selected"
    assert correct >= 274, correct
    # with a lead of δ the procedure stops long before the fixed-sample bound h²S²/δ² ≈ 46 per
    # system would be spent on every one of the five systems
    assert np.mean(samples) < 5 * 46


def test_kim_nelson_eliminates_clearly_worse_systems_early():
    """Means 0, 1, 2, 3 with σ = 1 and δ = 0.1: the best leads by 10 δ, so the others drop out
    well before the bound h²S²/δ² (≈ 1,000 replications)."""
    data = _normal_systems([0.0, 1.0, 2.0, 3.0], 1.0, 0.8, RandomStreams(7).generator("kn"))
    result = kim_nelson(
        lambda first, count, alive: data[first : first + count][:, alive],
        4,
        delta=0.1,
        n0=10,
        batch=10,
    )
    assert result.best == 3
    assert result.eliminated_at[0] > 0 and result.eliminated_at[3] == 0
    assert result.replications.max() < 200


def test_kim_nelson_budget_stop_is_reported():
    data = _normal_systems([0.0, 0.0, 0.0], 1.0, 0.0, RandomStreams(3).generator("kn"))
    result = kim_nelson(
        lambda first, count, alive: data[first : first + count][:, alive],
        3,
        delta=0.01,
        n0=10,
        max_replications=30,
    )
    assert result.stopped == "budget"
    assert result.replications.max() == 30


def _choose_and_gap(true_means, sigma, n, batches, generator):
    """Choose x̂ = argmax of sample means on stream A; MRP batch gaps on independent batches."""
    k = len(true_means)
    chosen = int(np.argmax(true_means + sigma * generator.standard_normal((n, k)).mean(axis=0)))
    gaps = []
    for _ in range(batches):
        batch = true_means + sigma * generator.standard_normal((n, k)).mean(axis=0)
        gaps.append(batch.max() - batch[chosen])
    return chosen, gaps


def test_mrp_interval_covers_the_true_optimality_gap():
    """Ten candidates with true means 0, 0.05, …, 0.45, σ = 1, n = 20 replications per sample:
    the choice on stream A is often not the best, so the true gap max μ − μ_x̂ is often > 0.
    The one-sided 95% MRP interval must cover it in ≥ 95% of macro-replications; over 400 the
    binomial sd is 1.1 points, and requiring ≥ 91.7% (3 sd below) fails falsely with probability
    < 0.2% (MRP is conservative, E v*_n ≥ v*, so its coverage is higher)."""
    true_means = np.linspace(0.0, 0.45, 10)
    streams = RandomStreams(99)
    covered, wrong_choices = 0, 0
    for macro in range(400):
        generator = streams.generator("mrp", replication=macro)
        chosen, gaps = _choose_and_gap(true_means, 1.0, 20, 10, generator)
        true_gap = true_means.max() - true_means[chosen]
        wrong_choices += true_gap > 0
        covered += true_gap <= optimality_gap_interval(gaps, alpha=0.05).upper
    assert wrong_choices > 100  # the toy is not trivial: the choice is often wrong
    assert covered >= 0.917 * 400, covered


def test_the_optimisers_curse_is_visible_on_the_choice_stream_and_gone_on_a_fresh_one():
    """Twenty candidates with equal true means 0 (σ = 1, n = 25): the best of twenty sample
    means is biased upwards by E[max of 20 N(0, 1/25)] ≈ 1.87 × 0.2 = 0.37; re-scoring the
    chosen candidate on an independent stream is unbiased. Over 400 macro-replications the
    bias on the fresh stream has se 0.2/√400 = 0.01, so |mean| < 0.04 fails falsely with
    probability < 1e-4, and the choice stream's mean of ≈ 0.37 is far above 0.3."""
    streams = RandomStreams(5)
    on_a, on_b = [], []
    for macro in range(400):
        generator = streams.generator("curse", replication=macro)
        a = generator.standard_normal((25, 20)).mean(axis=0)
        b = generator.standard_normal((25, 20)).mean(axis=0)
        chosen = int(np.argmax(a))
        on_a.append(a[chosen])
        on_b.append(b[chosen])
    assert np.mean(on_a) > 0.3
    assert abs(np.mean(on_b)) < 0.04


def test_mrp_interval_of_a_given_wrong_choice_has_its_stated_coverage():
    """A fixed x̂ = candidate 0 of two with true means 0 and 0.1 (true gap 0.1). Batches of
    n = 800 (σ = 1): the batch gap max(m₀, m₁) − m₀ ≈ m₁ − m₀ ~ N(0.1, 0.05²) is nearly unbiased,
    so the interval's coverage is close to its nominal 95% (an interval without the t·s/√n_g
    term would cover about half the time). Over 400 macro-replications, ≥ 91.7% (3 binomial sd
    below 95%) fails falsely with probability < 0.2%."""
    streams = RandomStreams(17)
    covered = 0
    for macro in range(400):
        generator = streams.generator("mrp-fixed", replication=macro)
        batches = np.array([0.0, 0.1]) + generator.standard_normal((10, 800, 2)).mean(axis=1)
        gaps = batches.max(axis=1) - batches[:, 0]
        covered += 0.1 <= optimality_gap_interval(gaps, alpha=0.05).upper
    assert covered >= 0.917 * 400, covered


def _rep_tables(generator, reps=200, replications=20, noise=1.0, spread=0.1):
    """Per-rep responses and samples of two candidates: the incumbent (profit 10 + rep effect)
    and ``alt`` whose true difference per rep is N(0, spread²); per-replication noise of the
    difference N(0, noise²)."""
    import pandas as pd

    truth = spread * generator.standard_normal(reps)
    level = 10 + generator.standard_normal(reps)
    rows, samples = [], []
    for i in range(reps):
        common = generator.standard_normal(replications)
        for candidate, shift in (("incumbent", 0.0), ("alt", truth[i])):
            extra = (
                noise * generator.standard_normal(replications)
                if shift or candidate == "alt"
                else 0
            )
            profit = level[i] + shift + common + extra
            samples.append(
                pd.DataFrame(
                    {
                        "unit": f"r{i}",
                        "candidate": candidate,
                        "scenario": range(replications),
                        "comp_cost": 1.0,
                        "revenue": profit + 1.0,
                        "profit": profit,
                    }
                )
            )
            rows.append(
                {
                    "unit": f"r{i}",
                    "candidate": candidate,
                    "revenue": profit.mean() + 1.0,
                    "margin": profit.mean() + 1.0,
                    "incentive_cost": 0.5,
                    "base_cost": 0.5,
                    "discount_cost": 0.0,
                }
            )
    return pd.DataFrame(rows), pd.concat(samples, ignore_index=True), truth


def test_shrinking_per_rep_differences_removes_most_of_the_optimisers_curse():
    """Each rep picks ``alt`` when its estimated profit gain is positive. True gains are
    N(0, 0.1²) but estimated with se 1/√20 ≈ 0.22, so the raw in-sample gain Σ max(d̂, 0) is
    mostly noise (≈ 200 × 0.24 × 0.4 ≈ 19, against a true gain of the same choices ≈ 2).
    Shrunk towards the segment mean (≈ 0) the estimates are close to the truth: their mean
    squared error falls by a large factor and the in-sample gain of the shrunk choice is within
    a few units of its true gain."""
    from spmopt.optimise.selection import shrink_rep_responses

    responses, samples, truth = _rep_tables(RandomStreams(8).generator("shrink"))
    segment_of = pd_series({f"r{i}": "s" for i in range(len(truth))})
    shrunk = shrink_rep_responses(responses, samples, segment_of)

    def gains(table):
        profit = table["margin"] - table["incentive_cost"] - table["base_cost"]
        wide = profit.to_numpy().reshape(-1, 2)  # incumbent, alt per rep
        return wide[:, 1] - wide[:, 0]

    raw, small = gains(responses), gains(shrunk)
    assert np.mean((small - truth) ** 2) < 0.3 * np.mean((raw - truth) ** 2)
    raw_optimism = np.sum(np.maximum(raw, 0)) - np.sum(truth[raw > 0])
    shrunk_optimism = np.sum(np.maximum(small, 0)) - np.sum(truth[small > 0])
    assert raw_optimism > 10
    assert abs(shrunk_optimism) < 0.3 * raw_optimism
    # the incumbent rows are unchanged
    assert np.allclose(shrunk["margin"].to_numpy()[::2], responses["margin"].to_numpy()[::2])


def pd_series(mapping):
    import pandas as pd

    return pd.Series(mapping)
