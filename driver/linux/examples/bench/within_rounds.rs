//! Goals judged within rounds: each round gives one paired value (a setup against its baseline
//! measured in the same round), and a goal is met only when a distribution-free interval for the
//! median of those values lies wholly on the goal's side. Rows of this VM move by 10–40 %
//! between runs, more than most goals' margins, so a median of whole columns alone cannot say.

use super::median;

/// Which side of a goal's bound is good.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Better {
    /// At most the bound (latency, CPU).
    Lower,
    /// At least the bound (throughput).
    Higher,
}

/// Fewest rounds whose full range holds the median with at least 95 % confidence.
pub(crate) const FEWEST_ROUNDS: usize = 6;

/// The goal judged on per-round `values`: "met" when the whole interval of their median is on
/// the good side of `bound` (the bound itself counts as met), "NOT met" when it lies wholly on the
/// other side, otherwise not resolved; never resolved with fewer than [`FEWEST_ROUNDS`] rounds.
pub(crate) fn judge(values: &[f64], bound: f64, better: Better) -> &'static str {
    let values: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if values.is_empty() {
        return "no rounds";
    }
    if values.len() < FEWEST_ROUNDS {
        return "not resolved, too few rounds for 95 % confidence (6 or more)";
    }
    let Some((_, low, high)) = median_interval(&values) else {
        return "no rounds";
    };
    let (good, bad) = match better {
        Better::Lower => (high <= bound, low > bound),
        Better::Higher => (low >= bound, high < bound),
    };
    if good {
        "met"
    } else if bad {
        "NOT met"
    } else {
        "not resolved by this run, its interval holds the bound"
    }
}

/// "1.86 [1.70–2.02]×": the median and its interval, each number written by `show`, then
/// `unit`; "–" without values.
pub(crate) fn describe(values: &[f64], show: impl Fn(f64) -> String, unit: &str) -> String {
    match median_interval(values) {
        Some((mid, low, high)) => {
            format!("{} [{}–{}]{unit}", show(mid), show(low), show(high))
        }
        None => "–".into(),
    }
}

/// The confidence of the interval `n` rounds give, as "96 % " (at least 95 % from 6 rounds up).
pub(crate) fn interval_name(n: usize) -> String {
    format!("{:.0} % ", 100.0 * interval_rank(n).1)
}

/// The median of `values` and a distribution-free interval for it: the k-th smallest and k-th
/// largest of them, with k the largest rank whose interval holds the median with at least 95 %
/// confidence (1 when even the full range is less sure, as with 5 rounds or fewer). NaNs (a
/// round where a setup measured nothing) are left out.
pub(crate) fn median_interval(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let k = interval_rank(n).0;
    let low = *sorted.get(k.checked_sub(1)?)?;
    let high = *sorted.get(n.checked_sub(k)?)?;
    Some((median(&sorted), low, high))
}

/// (k, confidence) for [`median_interval`] over `n` values: the interval from the k-th smallest
/// to the k-th largest misses the median only when fewer than k values fall on one side, with
/// probability 2·P(Binomial(n, ½) < k).
pub(crate) fn interval_rank(n: usize) -> (usize, f64) {
    // P(X < k) for X ~ Binomial(n, ½), by summing C(n, i) / 2ⁿ for i below k; each term from
    // its logarithm, since 2⁻ⁿ alone is 0 in an f64 from about 1 075 values on.
    let below = |k: usize| -> f64 {
        let mut ln_choose = 0.0f64;
        let mut sum = 0.0;
        for i in 0..k {
            sum += (ln_choose - n as f64 * std::f64::consts::LN_2).exp();
            ln_choose += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
        }
        sum
    };
    let mut k = 1;
    while k < n / 2 && 1.0 - 2.0 * below(k + 1) >= 0.95 {
        k += 1;
    }
    (k, (1.0 - 2.0 * below(k)).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_intervals_take_the_ranks_the_binomial_allows() {
        // 12 values: the 3rd smallest to the 3rd largest (96.1 % sure); 5: the full range
        // (93.8 %); 1: the value itself.
        assert_eq!(interval_rank(12).0, 3);
        assert!((interval_rank(12).1 - 0.9614).abs() < 1e-3);
        assert_eq!(interval_rank(5).0, 1);
        assert!((interval_rank(5).1 - 0.9375).abs() < 1e-9);
        assert_eq!(interval_rank(20).0, 6);
        // Many values: about n/2 − 0.98·√n (the normal approximation), not a rank of 1.
        let (k, sure) = interval_rank(2_000);
        assert!((950..=960).contains(&k), "rank {k}");
        assert!(sure >= 0.95);
        let ratios: Vec<f64> = (1..=12).map(f64::from).collect();
        assert_eq!(median_interval(&ratios), Some((6.5, 3.0, 10.0)));
        assert_eq!(median_interval(&[0.97]), Some((0.97, 0.97, 0.97)));
        assert_eq!(median_interval(&[]), None);
        // A round that measured nothing is not a value.
        assert_eq!(median_interval(&[f64::NAN, 2.0]), Some((2.0, 2.0, 2.0)));
    }

    #[test]
    fn a_goal_of_at_least_is_judged_only_on_an_interval_of_95_percent() {
        let at = |values: &[f64]| judge(values, 0.99, Better::Higher);
        // 6 rounds give the full range at 96.9 %: all at or above 99 % is met.
        assert_eq!(at(&[0.99, 1.0, 1.01, 1.02, 0.995, 1.1]), "met");
        assert_eq!(at(&[0.95, 0.96, 0.97, 0.98, 0.985, 0.9]), "NOT met");
        assert!(at(&[0.95, 1.0, 1.01, 1.02, 0.995, 1.1]).starts_with("not resolved by this run"));
        // 5 rounds are too few, however clear they look.
        assert!(at(&[1.1, 1.1, 1.1, 1.1, 1.1]).starts_with("not resolved, too few rounds"));
        assert_eq!(at(&[]), "no rounds");
        // 12 rounds: the 3rd to the 10th; two low rounds at each end do not decide it.
        let mut twelve = vec![1.0; 8];
        twelve.extend([0.5, 0.6, 1.5, 1.6]);
        assert_eq!(at(&twelve), "met");
    }

    #[test]
    fn a_goal_of_at_most_is_met_only_when_the_whole_interval_is_at_or_below_it() {
        let at = |values: &[f64]| judge(values, 2.0, Better::Lower);
        assert_eq!(at(&[1.8, 1.9, 2.0, 1.7, 1.85, 1.95]), "met");
        assert_eq!(at(&[2.1, 2.2, 2.05, 2.3, 2.01, 2.4]), "NOT met");
        assert!(at(&[1.8, 1.9, 2.1, 1.7, 1.85, 1.95]).starts_with("not resolved by this run"));
        assert!(at(&[1.0, 1.0, 1.0]).starts_with("not resolved, too few rounds"));
        // Rounds that measured nothing do not count towards the six.
        let nan = f64::NAN;
        assert!(at(&[1.0, 1.0, 1.0, 1.0, 1.0, nan]).starts_with("not resolved, too few rounds"));
    }

    #[test]
    fn describes_the_median_and_its_interval() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(
            describe(&values, |v| format!("{v:.1}"), " µs"),
            "3.5 [1.0–6.0] µs"
        );
        assert_eq!(describe(&[], |v| format!("{v:.1}"), " µs"), "–");
        assert_eq!(interval_name(6), "97 % ");
    }
}
