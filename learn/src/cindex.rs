//! Harrell's concordance index (C-index) of risk scores against right-censored survival data, with the
//! pair and tie rules of lifelines' `concordance_index`, which FLamby's Fed-TCGA-BRCA metric calls on the
//! negated risk:
//!
//! - a pair is comparable if the earlier time is an observed event, or if both times are equal and exactly
//!   one of the two is an event (the censored patient is then known to have outlived the other);
//! - a comparable pair is concordant if the patient who failed first has the higher risk;
//! - a pair with equal risks counts 0.5.
//!
//! C = (concordant + 0.5·tied) / comparable; 0.5 is random ranking, 1 perfect. O(n²): the pooled
//! Fed-TCGA-BRCA test set has 222 patients.

/// C-index of `risk` (higher = earlier failure expected); `None` if no pair is comparable.
pub fn concordance_index(time: &[f32], event: &[bool], risk: &[f64]) -> Option<f64> {
    let n = time.len().min(event.len()).min(risk.len());
    let (mut pairs, mut score) = (0u64, 0u64); // score in half-points
    for a in 0..n {
        for b in a + 1..n {
            let Some(first) = earlier(time[a], event[a], time[b], event[b], a, b) else {
                continue;
            };
            let other = if first == a { b } else { a };
            pairs += 1;
            score += match risk[first].partial_cmp(&risk[other]) {
                Some(core::cmp::Ordering::Greater) => 2,
                Some(core::cmp::Ordering::Equal) => 1,
                _ => 0,
            };
        }
    }
    (pairs > 0).then(|| score as f64 / (2 * pairs) as f64)
}

/// Of a comparable pair, the patient known to fail first; `None` if the pair is not comparable.
fn earlier(ta: f32, ea: bool, tb: f32, eb: bool, a: usize, b: usize) -> Option<usize> {
    if ta == tb {
        return match (ea, eb) {
            (true, false) => Some(a),
            (false, true) => Some(b),
            _ => None,
        };
    }
    let (first, t_first_event) = if ta < tb { (a, ea) } else { (b, eb) };
    t_first_event.then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_reversed_and_constant() {
        let t = [1.0, 2.0, 3.0, 4.0];
        let e = [true; 4];
        assert_eq!(concordance_index(&t, &e, &[4.0, 3.0, 2.0, 1.0]), Some(1.0));
        assert_eq!(concordance_index(&t, &e, &[1.0, 2.0, 3.0, 4.0]), Some(0.0));
        assert_eq!(concordance_index(&t, &e, &[0.0; 4]), Some(0.5));
    }

    #[test]
    fn hand_computed_with_censoring_and_ties() {
        // Patients (time, event, risk):
        //   0: (1, event,    0.9)
        //   1: (2, censored, 0.8)
        //   2: (2, event,    0.3)
        //   3: (4, event,    0.3)
        //   4: (5, censored, 0.1)
        // Comparable pairs (first to fail, other): (0,1) (0,2) (0,3) (0,4): risks 0.9 > all → 4 concordant.
        // (1, ·): censored at 2, earlier than 3 and 4 but not an event → not comparable with 3, 4;
        //   with 2 (same time, 2 is the event) → pair (2,1): 0.3 < 0.8 → discordant.
        // (2,3): 0.3 = 0.3 → tie (0.5). (2,4): 0.3 > 0.1 → concordant. (3,4): 0.3 > 0.1 → concordant.
        // Comparable: 4 + 1 + 3 = 8; score = 4 + 0 + 0.5 + 1 + 1 = 6.5 → C = 6.5 / 8.
        let t = [1.0, 2.0, 2.0, 4.0, 5.0];
        let e = [true, false, true, true, false];
        let r = [0.9, 0.8, 0.3, 0.3, 0.1];
        assert_eq!(concordance_index(&t, &e, &r), Some(6.5 / 8.0));
    }

    #[test]
    fn tied_event_times_are_not_comparable() {
        // Two deaths at the same time: no pair (lifelines rule). A censoring before the only death: none.
        assert_eq!(
            concordance_index(&[3.0, 3.0], &[true, true], &[1.0, 0.0]),
            None
        );
        assert_eq!(
            concordance_index(&[1.0, 3.0], &[false, true], &[1.0, 0.0]),
            None
        );
        // Censored later than a death: comparable, concordant if the death had the higher risk.
        assert_eq!(
            concordance_index(&[1.0, 3.0], &[true, false], &[1.0, 0.0]),
            Some(1.0)
        );
    }
}
