//! Quantization tests: exact rounding, the ‖m‖ ≤ B_int guarantee in integer arithmetic, streaming = in-memory,
//! and the de-quantization error bound.

extern crate std;
use std::vec;
use std::vec::Vec;

use super::quantize::round_for_tests;
use super::*;
use proptest::prelude::*;

fn exact_error_ok(q: &Quantizer, d: &[f32], m: &[i64]) -> bool {
    let f = q.clip_factor(d).unwrap().multiplier();
    d.iter()
        .zip(m)
        .all(|(&x, &v)| (v as f64 - f * f64::from(x)).abs() <= 0.5)
}

#[test]
fn rounding_is_nearest_ties_away() {
    for (x, want) in [
        (0.5, 1),
        (-0.5, -1),
        (1.5, 2),
        (2.5, 3),
        (-2.5, -3),
        (0.499_999_999_999_999_94, 0),
        (-0.499_999_999_999_999_94, 0),
        (0.0, 0),
        (-0.0, 0),
        (1e9 + 0.5, 1_000_000_001),
    ] {
        assert_eq!(round_for_tests(x), want, "round({x})");
    }
}

#[test]
fn worst_case_half_integers_meet_the_bound() {
    // Every coordinate lands on k + 1/2 after scaling, so rounding lengthens m as much as possible:
    // S·c·d_i = 0.5 for all i ⇒ m_i = 1 and ‖m‖ = √P = S·τ + √P/2 with S·τ = √P/2.
    let p = 10_000;
    let q = Quantizer::new(50.0 / 4.0, 4.0, p).unwrap(); // S·τ = 50 = √P/2
    let d = vec![0.125_f32; p]; // ‖d‖ = 12.5 = τ: not clipped, S·d_i = 0.5
    let mut m = vec![0_i64; p];
    let n2 = q.quantize(&d, &mut m).unwrap();
    assert!(m.iter().all(|&v| v == 1));
    assert_eq!(n2, p as u128);
    assert!(n2 <= u128::from(q.b_int()).pow(2));
    assert!(
        q.b_int() <= 100 + 2,
        "B_int should be tight here: {}",
        q.b_int()
    );
}

#[test]
fn clipping_scales_down_long_updates_only() {
    let q = Quantizer::new(1.0, 100.0, 4).unwrap();
    let mut m = [0_i64; 4];
    q.quantize(&[3.0, 4.0, 0.0, 0.0], &mut m).unwrap(); // ‖d‖ = 5 → clipped to 1
    assert_eq!(m, [60, 80, 0, 0]);
    q.quantize(&[0.3, 0.4, 0.0, 0.0], &mut m).unwrap(); // ‖d‖ = 0.5, kept
    assert_eq!(m, [30, 40, 0, 0]);
    q.quantize(&[0.0; 4], &mut m).unwrap();
    assert_eq!(m, [0; 4]);
}

#[test]
fn bad_inputs_are_typed_errors() {
    assert_eq!(
        Quantizer::new(0.0, 1.0, 10),
        Err(QuantError::InvalidNormBound)
    );
    assert_eq!(
        Quantizer::new(f64::INFINITY, 1.0, 10),
        Err(QuantError::InvalidNormBound)
    );
    assert_eq!(Quantizer::new(1.0, -1.0, 10), Err(QuantError::InvalidScale));
    assert_eq!(
        Quantizer::new(1.0, f64::NAN, 10),
        Err(QuantError::InvalidScale)
    );
    assert_eq!(Quantizer::new(1.0, 1.0, 0), Err(QuantError::InvalidParams));
    assert_eq!(
        Quantizer::new(1.0, 1.0, MAX_PARAMS + 1),
        Err(QuantError::InvalidParams)
    );
    assert_eq!(Quantizer::new(1.0, 3e9, 10), Err(QuantError::BoundOverflow));
    let q = Quantizer::new(1.0, 10.0, 3).unwrap();
    let mut m = [0_i64; 4];
    assert_eq!(
        q.quantize(&[1.0, 2.0], &mut m),
        Err(QuantError::LengthMismatch {
            expected: 3,
            got: 2
        })
    );
    assert_eq!(
        q.quantize(&[1.0, f32::NAN, 0.0], &mut m),
        Err(QuantError::NonFinite)
    );
    assert_eq!(
        q.quantize(&[1.0, f32::NEG_INFINITY, 0.0], &mut m),
        Err(QuantError::NonFinite)
    );
    assert_eq!(
        q.quantize(&[1.0, 0.0, 0.0], &mut m[..2]),
        Err(QuantError::BufferTooShort)
    );
    let f = q.clip_factor(&[1.0, 0.0, 0.0]).unwrap();
    assert_eq!(
        q.quantize_chunk(&[1.0, 0.0, 0.0], f, 2, &mut m[..2]),
        Err(QuantError::ChunkOutOfRange)
    );
    assert_eq!(
        q.quantize_chunk(&[1.0, 0.0, 0.0], f, 0, &mut []),
        Err(QuantError::ChunkOutOfRange)
    );
    let mut out = [0.0_f32; 3];
    assert_eq!(
        dequantize(&q, &[0, 1, 2], 4, 1, &mut out),
        Err(QuantError::InvalidAggregate)
    );
    assert_eq!(
        dequantize(&q, &[0, 1, 5], 5, 1, &mut out),
        Err(QuantError::InvalidAggregate)
    );
    assert_eq!(
        dequantize(&q, &[0, 1, 2], 5, 0, &mut out),
        Err(QuantError::InvalidAggregate)
    );
    assert_eq!(
        dequantize(&q, &[0, 1], 5, 1, &mut out),
        Err(QuantError::BufferTooShort)
    );
}

#[test]
fn max_scale_is_the_largest_that_fits() {
    let q = Quantizer::with_max_scale(5.0, 108_996, 4096).unwrap();
    assert!(q.b_int() <= 4096);
    assert!(b_int(5.0, q.scale() + 1.0 / 1024.0, 108_996).unwrap() > 4096);
    assert!(q.scale() > 780.0, "scale {}", q.scale());
    assert_eq!(
        Quantizer::with_max_scale(5.0, 108_996, 100),
        Err(QuantError::BoundOverflow)
    );
}

fn update_strategy() -> impl Strategy<Value = (Vec<f32>, f32)> {
    (
        1_usize..400,
        prop_oneof![
            Just(1e-4_f32),
            Just(0.01),
            Just(1.0),
            Just(100.0),
            Just(1e6)
        ],
    )
        .prop_flat_map(|(p, mag)| {
            (
                prop::collection::vec(-1.0_f32..1.0, p)
                    .prop_map(move |v| v.iter().map(|x| x * mag).collect()),
                Just(mag),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rounding_matches_libm(x in -2.0e9_f64..2.0e9) {
        prop_assert_eq!(round_for_tests(x), libm::round(x) as i64);
    }

    #[test]
    fn error_and_norm_bounds_hold((d, _mag) in update_strategy(), clip in 0.01_f64..50.0, scale in 0.5_f64..5000.0) {
        let q = Quantizer::new(clip, scale, d.len()).unwrap();
        let mut m = vec![7_i64; d.len() + 5];
        let n2 = q.quantize(&d, &mut m).unwrap();
        prop_assert!(exact_error_ok(&q, &d, &m[..d.len()]));
        prop_assert_eq!(n2, norm_sq(&m));
        prop_assert!(n2 <= u128::from(q.b_int()).pow(2));
        prop_assert!(m[d.len()..].iter().all(|&v| v == 0));
    }

    #[test]
    fn streaming_chunks_equal_whole((d, _mag) in update_strategy(), n_log in 2_u32..7) {
        let n = 1_usize << n_log;
        let q = Quantizer::new(1.0, 1000.0, d.len()).unwrap();
        let chunks = chunk_count(d.len(), n);
        let mut whole = vec![0_i64; chunks * n];
        let total = q.quantize(&d, &mut whole).unwrap();
        let f = q.clip_factor(&d).unwrap();
        let mut sum = 0_u128;
        let mut chunk = vec![-1_i64; n];
        for j in 0..chunks {
            sum += q.quantize_chunk(&d, f, j, &mut chunk).unwrap();
            prop_assert_eq!(&chunk[..], &whole[j * n..(j + 1) * n]);
        }
        prop_assert_eq!(sum, total);
        prop_assert_eq!(q.quantize_chunk(&d, f, chunks, &mut chunk), Err(QuantError::ChunkOutOfRange));
    }

    #[test]
    fn square_sum_in_pieces_gives_the_same_clip_factor((d, _mag) in update_strategy(), piece in 1_usize..40) {
        let q = Quantizer::new(1.0, 1000.0, d.len()).unwrap();
        let mut s = SquareSum::default();
        for p in d.chunks(piece) {
            s.add(p);
        }
        let f = q.clip_factor_of(&s).unwrap();
        prop_assert_eq!(f, q.clip_factor(&d).unwrap());
        let mut whole = vec![0_i64; d.len()];
        q.quantize(&d, &mut whole).unwrap();
        for (&x, &m) in d.iter().zip(&whole) {
            prop_assert_eq!(f.quantize(x), m);
        }
        let mut short = SquareSum::default();
        short.add(&d[1..]);
        prop_assert_eq!(
            q.clip_factor_of(&short),
            Err(QuantError::LengthMismatch { expected: d.len(), got: d.len() - 1 })
        );
    }

    #[test]
    fn dequantized_sum_is_the_mean_within_bound(
        p in 1_usize..200, k in 1_u32..9, seed in any::<u64>(), clip in 0.1_f64..10.0, scale in 1.0_f64..4000.0,
    ) {
        let q = Quantizer::new(clip, scale, p).unwrap();
        let t = 2 * u64::from(k) * q.b_int() + 1;
        let mut acc = vec![0_u64; p];
        let mut mean = vec![0.0_f64; p];
        let mut state = seed;
        for _ in 0..k {
            // Cheap deterministic pseudo-random update (xorshift), some clipped, some not.
            let d: Vec<f32> = (0..p).map(|_| {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                ((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32 * clip as f32
            }).collect();
            let mut m = vec![0_i64; p];
            q.quantize(&d, &mut m).unwrap();
            let c = q.clip_factor(&d).unwrap().multiplier() / scale;
            for i in 0..p {
                mean[i] += c * f64::from(d[i]) / f64::from(k);
                acc[i] = (acc[i] + (m[i].rem_euclid(t as i64)) as u64) % t;
            }
        }
        let mut out = vec![0.0_f32; p];
        dequantize(&q, &acc, t, k, &mut out).unwrap();
        for i in 0..p {
            let err = (f64::from(out[i]) - mean[i]).abs();
            let f32_err = (mean[i].abs() + q.mean_error_bound()) * f64::from(f32::EPSILON);
            prop_assert!(err <= q.mean_error_bound() * (1.0 + 1e-9) + f32_err, "i {i}: err {err}");
        }
    }
}
