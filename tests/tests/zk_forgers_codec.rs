//! Forgers against the z code (docs/PROTOCOL.md §12.1, §16): byte strings other than the prover's that a
//! lenient decoder would take for a valid proof. Each starts from an honest proof (its z is public) and
//! changes only bytes; none calls the prover on the forged bytes. Each test first shows the forgery
//! accepted by a deliberately broken decoder (`Disable::lax_z_codec`: no length range, zeros read past
//! the end, no class bound, padding and trailing bytes ignored — behind `attack-sim`), then refused by
//! `verify` with the typed error of the rule it breaks:
//!
//! - **padding**: a set padding bit in the last byte — the same z, a second byte string (`NonCanonical`);
//! - **trailing bytes**: the proof followed by zero bytes — the same z again (`Length`);
//! - **beyond the maximal length**: padded with zeros past `Layout::max_proof_len` (`Length`);
//! - **truncation**: a proof whose last byte is zero, cut before it — zero-extension restores it
//!   (`Length`);
//! - **out of range**: a coefficient coded with a unary run past the class bound; the lax decoder reads
//!   a different z, which the rest of the verifier then refuses too, so this forgery is refused by both —
//!   the strict decoder names it (`ZRange`) before any arithmetic runs on it.
//!
//! Rice codes have no alternative spelling of a value (fixed-width low bits, one unary run, a sign bit
//! exactly when the value is nonzero), so "non-minimal" encodings of one z are the padding and length
//! variants above; `zk::codec` unit tests and proptests cover the decoder on random bytes.

mod zk_common;

use zk_common::{Instance, big_stack, encrypt, key, prove_slice};
use zkfl_core::params::SetS;
use zkfl_core::zk::codec::RiceReader;
use zkfl_core::zk::layout::Layout;
use zkfl_core::zk::proof::{ProofError, z_classes};
use zkfl_core::zk::verify::{Disable, verify, verify_with};

const N: usize = 2048;
const K: usize = zkfl_core::set_s::K;

/// The broken decoder.
fn lax() -> Disable {
    Disable {
        lax_z_codec: true,
        ..Disable::default()
    }
}

/// A set-S statement with two chunks and a short update.
fn instance() -> Instance<SetS, N> {
    let k = key::<SetS, N, K>([31; 32], [32; 32], 2);
    let mut m = vec![[0i64; N]; 2];
    for (i, x) in m[0].iter_mut().take(300).enumerate() {
        *x = (i as i64 % 7) - 3;
    }
    encrypt::<SetS, N, K>(&k, m, 65_537, 4096, [33; 32], 5, 9)
}

fn layout(inst: &Instance<SetS, N>) -> Layout {
    inst.statement().layout::<SetS>().expect("layout")
}

/// Bits of the coded z of an honest proof (decoded with the strict decoder).
fn z_bits(lay: &Layout, p: &[u8]) -> u64 {
    let mut rd = RiceReader::new(&p[lay.off_z1u()..]);
    let mut bits = 0;
    for (dim, code, _) in z_classes(lay) {
        for _ in 0..dim {
            bits += code.bits(rd.next_value(&code).expect("honest z"));
        }
    }
    rd.finish().expect("honest z ends");
    bits
}

/// Honest proofs of `inst`, one per seed, until `pick` accepts one.
fn honest_proof(inst: &Instance<SetS, N>, pick: impl Fn(&Layout, &[u8]) -> bool) -> Vec<u8> {
    let lay = layout(inst);
    for seed in 0..64u8 {
        let (p, _) = prove_slice::<SetS, N>(inst, [seed; 32]).expect("honest prover");
        assert_eq!(verify::<SetS, N>(&inst.statement(), &inst.ctx, &p), Ok(()));
        if pick(&lay, &p) {
            return p;
        }
    }
    panic!("no honest proof with the wanted shape in 64 seeds");
}

/// The forgery is accepted by the broken decoder and refused by `verify` with `want`.
fn broken_accepts_real_refuses(inst: &Instance<SetS, N>, forged: &[u8], want: ProofError) {
    let st = inst.statement();
    assert_eq!(
        verify_with::<SetS, N>(&st, &inst.ctx, forged, lax()),
        Ok(()),
        "the broken decoder accepts the forgery"
    );
    assert_eq!(verify::<SetS, N>(&st, &inst.ctx, forged), Err(want));
}

#[test]
fn padding_bit_set() {
    big_stack(|| {
        let inst = instance();
        let p = honest_proof(&inst, |lay, p| !z_bits(lay, p).is_multiple_of(8));
        let lay = layout(&inst);
        let mut q = p.clone();
        let used = z_bits(&lay, &p) % 8;
        *q.last_mut().expect("nonempty") |= 1 << used;
        assert_ne!(q, p);
        broken_accepts_real_refuses(&inst, &q, ProofError::NonCanonical);
    });
}

#[test]
fn trailing_zero_bytes() {
    big_stack(|| {
        let inst = instance();
        let p = honest_proof(&inst, |_, _| true);
        for extra in [1usize, 7] {
            let mut q = p.clone();
            q.resize(p.len() + extra, 0);
            broken_accepts_real_refuses(&inst, &q, ProofError::Length);
        }
    });
}

#[test]
fn beyond_the_maximal_length() {
    big_stack(|| {
        let inst = instance();
        let lay = layout(&inst);
        let p = honest_proof(&inst, |_, _| true);
        let mut q = p.clone();
        q.resize(lay.max_proof_len() + 1, 0);
        broken_accepts_real_refuses(&inst, &q, ProofError::Length);
    });
}

#[test]
fn truncated_before_a_zero_byte() {
    big_stack(|| {
        let inst = instance();
        let p = honest_proof(&inst, |_, p| p.last() == Some(&0));
        let q = &p[..p.len() - 1];
        broken_accepts_real_refuses(&inst, q, ProofError::Length);
    });
}

#[test]
fn unary_run_past_the_class_bound() {
    big_stack(|| {
        let inst = instance();
        let lay = layout(&inst);
        let p = honest_proof(&inst, |_, _| true);
        // The first coefficient (σ_s class): k_s low bits kept, then a run of ones past max_abs >> k_s,
        // then the rest of the byte string as it was.
        let code = lay.code_s();
        let run = (code.max_abs >> code.k) + 1;
        let first_byte = lay.off_z1u() + code.k as usize / 8 + 1;
        let mut q = p.clone();
        for b in &mut q[first_byte..first_byte + (run as usize).div_ceil(8) + 1] {
            *b = 0xff;
        }
        assert_eq!(
            verify::<SetS, N>(&inst.statement(), &inst.ctx, &q),
            Err(ProofError::ZRange)
        );
        assert!(verify_with::<SetS, N>(&inst.statement(), &inst.ctx, &q, lax()).is_err());
    });
}
