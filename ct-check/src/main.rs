//! Constant-time taint harness for the prover of `zkfl-core` (docs/CONSTANT_TIME.md).
//!
//! Run the release build under valgrind memcheck:
//!
//! ```text
//! cargo build --release -p ct-check
//! valgrind --error-exitcode=1 --track-origins=yes \
//!     --suppressions=ct-check/public-branches.supp target/release/ct-check
//! ```
//!
//! (`scripts/ct-check.sh` does exactly this.) Secret inputs are marked *undefined* with memcheck client
//! requests; memcheck then tracks every bit derived from them and reports
//! "Conditional jump or move depends on uninitialised value(s)" for a branch or `cmov` on a secret and
//! "Use of uninitialised value of size N" for a secret memory index (or a secret operand of a libcall
//! such as the u128 division). Values the protocol publishes are marked *defined* again exactly where
//! they become public, by the prover itself: zkfl-core is built with feature `valgrind-ct`, which turns
//! its `ct::declassify` calls (transcript absorbs, accept bits, refusals, discarded candidates, the
//! proof) into client requests. `ct-check/public-branches.supp` holds no prover function.
//!
//! Sections (all by default, or the ones named on the command line):
//! - `gaussian`: the discrete Gaussian sampler at the three widths of set S, secret randomness;
//! - `reject`: the standard (joint, two blocks) and bimodal rejection tests of `zk::reject`, secret
//!   statistics ‖v‖², ⟨z, v⟩ and secret coins; the accept bit comes out declassified (checked);
//! - `slack`: the slack expansion (B² − ‖w‖²) mod q and its bits, secret ‖w‖²;
//! - `prove`: one whole proof through the public `zk::prove::prove` API (set S, one chunk) with the
//!   witness u, the update m and every byte of the RNG secret; the proof bytes and statistics must come
//!   out declassified by the prover (they are what the clinic sends; checked), then verified.
//!
//! - `threshold`: threshold decryption (docs/THRESHOLD.md): the GF(2^8) backup sharing of a secret seed with
//!   secret coefficients and its interpolation, and one smudged decryption share (set L, one chunk) with secret
//!   noise randomness (the key's seed is public here: its ternary expansion discards bytes ≥ 243 without a
//!   declassification point); shares and the seed must come out secret, only the digits' accept bits public.
//!
//! `ct-check leak` instead runs deliberately non-constant-time code on secrets (the old slack formula
//! with u128 `%`, a branch on the sign of ⟨z, v⟩ and a secret table index): valgrind must report it, which
//! shows the check can fail (`scripts/ct-check.sh` asserts that it does).
//!
//! Outside valgrind every client request is a no-op and the harness just runs the code once.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng, TryCryptoRng, TryRng};
use std::convert::Infallible;
use zkfl_core::arith::Modulus;
use zkfl_core::bfv::{PlainModulus, public_a};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::ring::gaussian::GaussianSampler;
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::zk::params::{D, ZkParams};
use zkfl_core::zk::prove::{SliceUpdate, Witness, prove, slack_expand};
use zkfl_core::zk::reject::{InvTwoSigmaSq, RejectionConstant, StandardTest, bimodal_accept};
use zkfl_core::zk::statement::{Context, Statement};
use zkfl_core::zk::verify::verify;

/// The memcheck client requests (hand-written inline asm, a no-op outside valgrind) live in
/// `zkfl_core::ct::vg` (feature `valgrind-ct`), next to the prover's declassification points.
#[cfg(not(target_arch = "x86_64"))]
compile_error!("ct-check issues valgrind's amd64 client requests: build it for x86_64");
use zkfl_core::ct::vg;

/// `x` marked secret (undefined), re-read from memory so that the mark applies.
fn classify<T: Copy>(x: T) -> T {
    let v = x;
    vg::make_undefined(&v);
    std::hint::black_box(v)
}

/// Marks a slice secret.
fn classify_slice<T: Copy>(s: &mut [T]) {
    vg::make_undefined(s);
}

/// Under valgrind, asserts that `what` carries taint (so the harness is not checking public data by
/// mistake: a secret output that came out defined means the marking was lost).
fn assert_tainted<T: Copy>(what: &str, s: &[T]) {
    if vg::running() {
        assert!(
            vg::undefined_bytes(s) > 0,
            "{what}: expected secret-dependent output, found none"
        );
    }
}

/// Under valgrind, asserts that `what` is fully defined (public): the prover declassified it.
fn assert_public<T: Copy>(what: &str, s: &[T]) {
    if vg::running() {
        let n = vg::undefined_bytes(s);
        assert!(n == 0, "{what}: {n} bytes still secret-dependent");
    }
}

/// An RNG whose every output byte is secret (ChaCha20 underneath, seeded publicly for reproducibility).
struct SecretRng(ChaCha20Rng);

impl TryRng for SecretRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(classify(self.0.next_u32()))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(classify(self.0.next_u64()))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill_bytes(dst);
        classify_slice(dst);
        Ok(())
    }
}

impl TryCryptoRng for SecretRng {}

fn secret_rng(seed: u8) -> SecretRng {
    SecretRng(ChaCha20Rng::from_seed([seed; 32]))
}

type M = <SetS as ParamSet>::M;
const N: usize = 2048;
const K: usize = zkfl_core::set_s::K;

/// The Gaussian sampler at σ_m, σ_s, σ₃ of set S with secret randomness. The candidate loop's accept bit
/// is public (declassified in the sampler); the samples must stay secret.
fn gaussian() {
    let zk = <SetS as ZkParams>::ZK;
    let mut rng = secret_rng(1);
    for (name, sigma) in [("σ_m", zk.sigma_m), ("σ_s", zk.sigma_s), ("σ_3", zk.sigma3)] {
        let g = GaussianSampler::new(sigma << 32).expect("width in range");
        let mut out = [0i64; 256];
        g.fill(&mut rng, &mut out);
        assert_tainted(&std::format!("gaussian {name} samples"), &out);
    }
    println!("  gaussian: 3 × 256 samples at σ_m, σ_s, σ_3");
}

/// The rejection tests on secret statistics and secret coins; only the accept bits are declassified.
fn reject() {
    let zk = <SetS as ZkParams>::ZK;
    let inv_m = InvTwoSigmaSq::new(zk.sigma_m << 32).expect("σ_m");
    let inv_s = InvTwoSigmaSq::new(zk.sigma_s << 32).expect("σ_s");
    let inv_3 = InvTwoSigmaSq::new(zk.sigma3 << 32).expect("σ_3");
    let m_std = RejectionConstant::from_m(1.954).expect("M");
    let m_bi = RejectionConstant::from_m(1.284_025_416_687_742).expect("M_3");
    let mut coins = secret_rng(2);
    let mut data = ChaCha20Rng::from_seed([3; 32]);
    let (mut std_acc, mut bi_acc) = (0u32, 0u32);
    let trials = 64;
    for i in 0..trials {
        // Statistics spanning both signs of ⟨z, v⟩, the clamp at 0 (huge negative ⟨z, v⟩), the
        // saturation (huge positive) and ordinary values.
        let v_sq = [
            classify(u128::from(data.next_u64() >> 20)),
            classify(u128::from(data.next_u64() >> 16)),
        ];
        let zv_raw = |r: &mut ChaCha20Rng| -> i128 {
            let x = i128::from(r.next_u64() as i64) << (r.next_u32() % 80);
            match i % 8 {
                0 => i128::MIN + 1,
                1 => i128::MAX,
                _ => x,
            }
        };
        let zv = [classify(zv_raw(&mut data)), classify(zv_raw(&mut data))];
        let mut t = StandardTest::new(m_std);
        t.add_block(&inv_m, v_sq[0], zv[0]);
        t.add_block(&inv_s, v_sq[1], zv[1]);
        assert_tainted("standard probability", &[t.probability()]);
        // Public: the protocol restarts or continues on this bit (zk::reject declassifies it).
        let std_ok = t.decide(&mut coins);
        let bi_ok = bimodal_accept(m_bi, &inv_3, v_sq[0], zv[0], &mut coins);
        assert_public("accept bits", &[std_ok, bi_ok]);
        std_acc += u32::from(std_ok);
        bi_acc += u32::from(bi_ok);
    }
    println!(
        "  reject: standard accepted {std_acc}/{trials}, bimodal {bi_acc}/{trials} (accept bits declassified)"
    );
}

/// The slack expansion on secret norms (in range, at the bound, and wrapped as a cheating prover's).
fn slack() {
    let q = <M as Modulus>::Q;
    let b: u128 = 4096 * 4096;
    let bits = 25;
    for nrm in [0u128, 1, 12_345_678, b, b + 1, u128::MAX] {
        let mut out = [0i64; D];
        slack_expand(q, b, classify(nrm), bits, &mut out);
        assert_tainted("slack bits", &out[..bits]);
    }
    println!("  slack: 6 secret norms expanded");
}

/// One whole proof (set S, one chunk) through the public API with u, m and the RNG secret.
fn prove_one() {
    let chunks = 1;
    let bound = 4096u64;
    // Public set-up: key, update, encryption (not under test).
    let sk = zkfl_core::set_s::SecretKey::from_seed([0x11; 32]);
    let mut a = Box::new(Poly::<M, N>::zero());
    public_a::<SetS, N>(&[0x22; 32], &mut a);
    let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&*a));
    let mut b = Poly::<M, N>::zero();
    sk.public_key_chunk(&a_ntt, 0, &mut b);
    let b_ntt = NttPoly::<N, K>::from_poly(&b);
    let mut upd = ChaCha20Rng::from_seed([0x44; 32]);
    let mut m = vec![[0i64; N]];
    for x in m[0].iter_mut().take(1500) {
        *x = i64::from(upd.next_u32() % 201) - 100;
    }
    let plain = PlainModulus::<M>::new(40_961).expect("t");
    let mut enc = Box::new(zkfl_core::set_s::Encryptor::new(
        &a_ntt,
        plain,
        chunks,
        &mut ChaCha20Rng::from_seed([0x33; 32]),
    ));
    let mut c0 = Poly::<M, N>::zero();
    enc.encrypt_chunk(&b_ntt, &m[0], &mut c0)
        .expect("encrypt chunk");
    let c1 = enc.c1().clone();
    let mut u: Vec<i64> = (0..N).map(|i| enc.u().centered(i) as i64).collect();
    drop(enc);
    let pk_b = vec![b.coeffs];
    let c0s = vec![c0.coeffs];
    let st = Statement {
        pk_a: &a.coeffs,
        pk_b: &pk_b,
        c1: &c1.coeffs,
        c0: &c0s,
        t: plain.t(),
        bound,
    };
    let ctx = Context {
        round: 3,
        clinic: 2,
    };
    let len = st.layout::<SetS>().expect("layout").prove_buf_len();
    let mut out = vec![0u8; len];
    // Secrets: u, m, and every RNG byte.
    classify_slice(&mut u);
    classify_slice(&mut m[0]);
    let mut rng = secret_rng(0x55);
    let mut wit = Witness {
        u: &u,
        m: SliceUpdate(&m),
    };
    let res = prove::<SetS, N, _, _>(&st, &ctx, &mut wit, &mut rng, &mut out);
    // Public: the proof (the bytes the clinic sends) and its statistics. The prover declassifies them
    // itself (zkfl_core::ct, in `prove_checked` when it returns); the witness must still be secret.
    assert_public("proof bytes", &out);
    assert_tainted("witness u after prove", &u);
    let stats = res.expect("honest prover");
    assert_public("prove stats", &[stats]);
    println!(
        "  prove: {} bytes, JL attempts {}, attempts {}",
        stats.len, stats.jl_attempts, stats.attempts
    );
    assert_eq!(
        verify::<SetS, N>(&st, &ctx, &out[..stats.len]),
        Ok(()),
        "proof verifies"
    );
}

/// Deliberately leaky code on secrets: valgrind must flag every part of it.
fn leak() {
    let q = <M as Modulus>::Q;
    let b: u128 = 4096 * 4096;
    let nrm = classify(12_345_678u128);
    // 1. The former slack formula: u128 `%` is a libcall that branches on its operands.
    let s = (b + q - std::hint::black_box(nrm) % q) % q;
    // 2. A branch on the sign of a secret ⟨z, v⟩ (the unmasked form of zk::reject's sign select).
    let zv = classify(-5i128);
    let mut sign = 0u8;
    if std::hint::black_box(zv) < 0 {
        println!("  leak: ⟨z, v⟩ < 0");
        sign = 1;
    }
    // 3. A secret table index.
    let table = [3u8, 1, 4, 1, 5, 9, 2, 6];
    let idx = classify(5usize);
    let t = std::hint::black_box(&table)[std::hint::black_box(idx) & 7];
    std::hint::black_box((s, sign, t));
    println!("  leak: ran the deliberately non-constant-time code");
}

/// Threshold decryption's secret paths: a holder's check of dealt slot parts and one member's smudged set-L share
/// of an aggregate (the slot parts summed, times c1, plus noise from the secret RNG).
fn threshold() {
    use zkfl_core::params::SetL;
    use zkfl_core::threshold::{
        Admitted, Aggregate, CheckedPlan, Committee, Dealer, Epoch, Holdings, KeyCeremony,
        LedgerRefusal, ShareMaker, Smudger, SpentLedger,
    };
    type ML = <SetL as ParamSet>::M;
    const NL: usize = 4096;
    const KL: usize = zkfl_core::set_l::K;
    /// A member's spent ledger in memory (markers and digests are public).
    #[derive(Default)]
    struct Memory(Vec<[u8; 32]>);
    impl SpentLedger for Memory {
        fn is_spent(&self, d: &[u8; 32]) -> bool {
            self.0.contains(d)
        }
        fn spend_all<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
            &mut self,
            items: I,
        ) -> Result<(), LedgerRefusal> {
            if let Some(i) = items.clone().position(|d| self.0.contains(d)) {
                return Err(LedgerRefusal::Spent(i));
            }
            self.0.extend(items.copied());
            Ok(())
        }
    }
    let mut rng = secret_rng(7);
    let committee = Committee::new(5, 3).expect("3-of-5");
    let ids: Vec<zkfl_core::channel::identity::SigningKey> = (1..=5u8)
        .map(|i| zkfl_core::channel::identity::SigningKey::from_seed(&[i; 32]))
        .collect();
    let roster: Vec<_> = ids.iter().map(|k| k.verifying_key()).collect();
    // Dealers' secrets are public here (key expansion is not covered, see the comment below); the smudging
    // randomness of the share is the secret input.
    let mut public_rng = ChaCha20Rng::seed_from_u64(11);
    let epoch = Epoch::new([3; 32], 1, committee, &roster).expect("epoch");
    let plan = CheckedPlan::<SetL>::design(5, 3, 1024, 1 << 16, 1).expect("set L design");
    let dealers: Vec<Dealer> = (1..=5u8)
        .map(|i| Dealer::generate(&epoch, i, &mut public_rng).expect("dealer"))
        .collect();
    // The part seeds stay public here: BFV key expansion rejects bytes without a declassification point
    // (docs/CONSTANT_TIME.md), so the parts themselves are not covered; the smudging is.
    let mut a_scratch = Box::new(NttPoly::<NL, KL>::zero());
    let published: Vec<Vec<Poly<ML, NL>>> = dealers
        .iter()
        .map(|d| {
            let mut p = vec![Poly::<ML, NL>::zero(); committee.slots()];
            d.public_shares::<SetL, NL, KL>(&epoch, &mut a_scratch, 1, &mut p)
                .expect("public shares");
            p
        })
        .collect();
    let mut ceremony = KeyCeremony::new(epoch);
    for (d, p) in dealers.iter().zip(&published) {
        ceremony
            .commit(
                d.member(),
                zkfl_core::threshold::keys::commitment(&epoch, d.member(), p),
            )
            .expect("commit");
    }
    let mut committee_key = vec![Poly::<ML, NL>::zero()];
    let mut slot_keys = vec![Poly::<ML, NL>::zero(); committee.slots()];
    for (d, p) in dealers.iter().zip(&published) {
        ceremony
            .reveal::<SetL, NL>(d.member(), p, &mut committee_key, &mut slot_keys)
            .expect("reveal");
    }
    // The ciphertexts below are admitted without proofs (`Admitted::unverified`), so the holdings opt in
    // (review 12, R12-7; a product build never does).
    let member = |i: u8| {
        let mut h = Box::new(Holdings::new(&ceremony, i, &roster, &plan).expect("holdings"));
        h.accept_unverified_admissions();
        h
    };
    let key = *member(1).key_id();
    let mut holdings = member(1);
    for (d, p) in dealers.iter().zip(&published) {
        for u in (0..committee.slots()).filter(|&u| committee.holds(1, u)) {
            let seed = d.deal(&epoch, u, 1).expect("deal");
            holdings
                .accept::<SetL, NL, KL>(
                    &ceremony,
                    d.member(),
                    u,
                    seed,
                    &mut a_scratch,
                    core::slice::from_ref(&p[u]),
                )
                .expect("accept");
        }
    }
    let smudger = Smudger::new(&plan).expect("smudger");
    type Ct = (Box<[u128; NL]>, Vec<[u128; NL]>);
    let cts: Vec<Ct> = (0..3u8)
        .map(|i| {
            let mut c1 = Box::new(Poly::<ML, NL>::zero());
            public_a::<SetL, NL>(&[10 + i; 32], &mut c1);
            (Box::new(c1.coeffs), vec![[0u128; NL]])
        })
        .collect();
    let mut adm: Vec<Admitted<'_, ML, NL>> = cts
        .iter()
        .enumerate()
        .map(|(i, (c1, c0))| Admitted::unverified(key, 1, i as u64, c1, c0))
        .collect();
    let mut c0 = vec![Poly::<ML, NL>::zero()];
    let agg = Aggregate::build(&plan, 1, &mut adm, &mut c0).expect("aggregate");
    // Spend receipts of a quorum of 4 (public keys and signatures; docs/THRESHOLD.md §3.1.1).
    let mut ledgers: Vec<Memory> = (1..=4).map(|_| Memory::default()).collect();
    let receipts: Vec<_> = (1..=4u8)
        .map(|i| {
            zkfl_core::threshold::sign_receipt(
                &member(i),
                &ids[i as usize - 1],
                &agg,
                &mut ledgers[i as usize - 1],
                &mut public_rng,
            )
            .expect("receipt")
        })
        .collect();
    let spend = zkfl_core::threshold::Spend {
        roster: &roster,
        receipts: &receipts,
    };
    let mut maker = Box::new(ShareMaker::<SetL, NL, KL>::new());
    let mut d = vec![Poly::<ML, NL>::zero()];
    maker
        .make(
            &holdings,
            &agg,
            0b00111,
            &spend,
            &smudger,
            &mut ledgers[0],
            &mut rng,
            &mut d,
        )
        .expect("share");
    assert_tainted("decryption share", &d[0].coeffs);
    assert_tainted("noise digits", &maker.last_digits()[1].coeffs);
    println!("threshold: slot parts, holdings and one set-L share ok");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let all = ["gaussian", "reject", "slack", "prove", "threshold"];
    let sections: Vec<String> = if args.is_empty() {
        all.iter().map(|s| (*s).to_owned()).collect()
    } else {
        args
    };
    println!(
        "ct-check: {} (valgrind: {})",
        sections.join(", "),
        if vg::running() { "yes" } else { "no" }
    );
    // The prover keeps its state on the stack (as the aggregator's clinic threads do).
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            for s in sections {
                println!("== {s}");
                match s.as_str() {
                    "gaussian" => gaussian(),
                    "reject" => reject(),
                    "slack" => slack(),
                    "prove" => prove_one(),
                    "threshold" => threshold(),
                    "leak" => leak(),
                    other => {
                        panic!("unknown section {other} (gaussian, reject, slack, prove, threshold, leak)")
                    }
                }
            }
        })
        .expect("spawn")
        .join()
        .expect("ct-check thread");
    println!("ct-check: done");
}
