//! Threshold decryption on the paper's update (108,996 parameters, 27 chunks of set L; docs/THRESHOLD.md §8):
//! one member's smudged decryption shares of a round's aggregate (all chunks, one consuming call), the
//! combiner's work for a 3-of-5 committee with member 4 and 5 absent, and a holder's check of one dealer's
//! slot part. Needs `--features threshold-bench` (ciphertexts admitted without proofs).

#[path = "cpu_time.rs"]
mod cpu_time;

use cpu_time::CpuTime;
use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::time::Duration;
use zkfl_core::bfv::PlainModulus;
use zkfl_core::channel::identity::{SigningKey, VerifyingKey};
use zkfl_core::params::limits::plaintext_modulus;
use zkfl_core::params::{ParamSet, SetL};
use zkfl_core::ring::sample::{Xof, uniform};
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::threshold::keys::commitment;
use zkfl_core::threshold::{
    Admitted, Aggregate, CheckedPlan, Combiner, Committee, Dealer, Epoch, Holdings, KeyCeremony,
    LedgerRefusal, MemberShares, ShareMaker, Smudger, Spend, SpendReceipt, SpentLedger,
    sign_receipt,
};

const PARAMS: usize = 108_996;
const N: usize = 4096;
const K: usize = 4;
type M = <SetL as ParamSet>::M;
type Pl = Poly<M, N>;
/// One ciphertext's coefficients: c1 and c0_1..c0_L.
type Ct = (Box<[u128; N]>, Vec<[u128; N]>);

/// A ledger that records nothing and reports every marker spent, so the member's own "signed" marker is
/// found and the bench answers the same aggregate repeatedly.
struct Forget;
impl SpentLedger for Forget {
    fn is_spent(&self, _: &[u8; 32]) -> bool {
        true
    }
    fn spend_all<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        _: I,
    ) -> Result<(), LedgerRefusal> {
        Ok(())
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "one committee set-up (ceremony, dealing, aggregate, receipts) shared by every measurement"
)]
fn benches(c: &mut Criterion<CpuTime>) {
    let l = PARAMS.div_ceil(N);
    let committee = Committee::new(5, 3).unwrap();
    let plan = CheckedPlan::<SetL>::design(5, 3, 1024, 1 << 16, l).unwrap();
    let smudger = Smudger::new(&plan).unwrap();
    let plain = PlainModulus::new(plaintext_modulus(1024, 1 << 16).unwrap()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let ids: Vec<SigningKey> = (1..=5u8).map(|i| SigningKey::from_seed(&[i; 32])).collect();
    let roster: Vec<VerifyingKey> = ids.iter().map(SigningKey::verifying_key).collect();
    let epoch = Epoch::new([3; 32], 1, committee, &roster).unwrap();
    let dealers: Vec<Dealer> = (1..=5)
        .map(|i| Dealer::generate(&epoch, i, &mut rng).unwrap())
        .collect();
    let mut published = vec![Pl::zero(); committee.slots() * l];
    let mut a_scratch = Box::new(NttPoly::<N, K>::zero());
    // The ceremony (commit, then reveal); each dealer's shares are recomputed per step to keep one in memory.
    let mut ceremony = KeyCeremony::new(epoch);
    for d in &dealers {
        d.public_shares::<SetL, N, K>(&epoch, &mut a_scratch, l, &mut published)
            .unwrap();
        ceremony
            .commit(d.member(), commitment(&epoch, d.member(), &published))
            .unwrap();
    }
    let mut committee_key = vec![Pl::zero(); l];
    let mut slot_keys = vec![Pl::zero(); committee.slots() * l];
    for d in &dealers {
        d.public_shares::<SetL, N, K>(&epoch, &mut a_scratch, l, &mut published)
            .unwrap();
        ceremony
            .reveal::<SetL, N>(d.member(), &published, &mut committee_key, &mut slot_keys)
            .unwrap();
    }
    let mut holdings: Vec<Box<Holdings>> = (1..=5)
        .map(|h| {
            // Ciphertexts are admitted without proofs below; a product build never opts in (R12-7).
            let mut held = Box::new(Holdings::new(&ceremony, h, &roster, &plan).unwrap());
            held.accept_unverified_admissions();
            held
        })
        .collect();
    for d in &dealers {
        d.public_shares::<SetL, N, K>(&epoch, &mut a_scratch, l, &mut published)
            .unwrap();
        for u in 0..committee.slots() {
            for h in (1..=5u8).filter(|&h| committee.holds(h, u)) {
                let seed = d.deal(&epoch, u, h).unwrap();
                holdings[h as usize - 1]
                    .accept::<SetL, N, K>(
                        &ceremony,
                        d.member(),
                        u,
                        seed,
                        &mut a_scratch,
                        &published[u * l..(u + 1) * l],
                    )
                    .unwrap();
            }
        }
    }
    let cts: Vec<Ct> = (0..3u64)
        .map(|i| {
            let mut c1 = Box::new(Pl::zero());
            uniform(&mut Xof::new(&[1; 32], b"bench-c1", i), &mut *c1);
            let c0 = (0..l)
                .map(|j| {
                    let mut p = Pl::zero();
                    uniform(
                        &mut Xof::new(&[2; 32], b"bench-c0", (i << 8) + j as u64),
                        &mut p,
                    );
                    p.coeffs
                })
                .collect();
            (Box::new(c1.coeffs), c0)
        })
        .collect();
    let key = *holdings[0].key_id();
    let mut adm: Vec<Admitted<'_, M, N>> = cts
        .iter()
        .enumerate()
        .map(|(i, (c1, c0))| Admitted::unverified(key, 1, i as u64, c1, c0))
        .collect();
    let mut c0 = vec![Pl::zero(); l];
    let agg = Aggregate::build(&plan, 1, &mut adm, &mut c0).unwrap();
    let present = 0b00111;
    // Spend receipts from a quorum of 4 (docs/THRESHOLD.md §3.1.1), signed once; their checks are part of
    // every member's answer below.
    let receipts: Vec<SpendReceipt> = (1..=4u8)
        .map(|i| {
            let h = &holdings[i as usize - 1];
            sign_receipt(h, &ids[i as usize - 1], &agg, &mut Forget, &mut rng).unwrap()
        })
        .collect();
    let spend = Spend {
        roster: &roster,
        receipts: &receipts,
    };
    let mut shares: Vec<Vec<Pl>> = (0..3).map(|_| vec![Pl::zero(); l]).collect();
    let mut maker = Box::new(ShareMaker::<SetL, N, K>::new());
    c.bench_function(&format!("threshold/member-shares/L-{l}-chunks"), |b| {
        b.iter(|| {
            maker
                .make(
                    &holdings[0],
                    &agg,
                    present,
                    &spend,
                    &smudger,
                    &mut Forget,
                    &mut rng,
                    &mut shares[0],
                )
                .unwrap();
        });
    });
    for h in 1..3 {
        maker
            .make(
                &holdings[h],
                &agg,
                present,
                &spend,
                &smudger,
                &mut Forget,
                &mut rng,
                &mut shares[h],
            )
            .unwrap();
    }
    let received: Vec<MemberShares<'_, SetL, N>> = shares
        .iter()
        .enumerate()
        .map(|(h, s)| MemberShares {
            member: h as u8 + 1,
            aggregate: agg.binding(),
            shares: s,
        })
        .collect();
    let mut out = vec![[0i64; N]; l];
    let mut comb = Box::new(Combiner::<SetL, N>::new(plain, committee));
    c.bench_function(&format!("threshold/combine-3-of-5/L-{l}-chunks"), |b| {
        b.iter(|| comb.decrypt(&agg, present, &received, &mut out).unwrap());
    });
    c.bench_function(&format!("threshold/accept-slot-part/L-{l}-chunks"), |b| {
        b.iter(|| {
            let mut h = Box::new(Holdings::new(&ceremony, 5, &roster, &plan).unwrap());
            let u = (0..committee.slots())
                .find(|&u| committee.holds(5, u))
                .unwrap();
            h.accept::<SetL, N, K>(
                &ceremony,
                5,
                u,
                dealers[4].slot_seed(u),
                &mut a_scratch,
                &published[u * l..(u + 1) * l],
            )
            .unwrap();
        });
    });
}

criterion_group! {
    name = group;
    config = Criterion::default().with_measurement(CpuTime).sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    targets = benches
}
criterion_main!(group);
