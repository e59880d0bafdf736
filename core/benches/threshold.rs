//! Threshold decryption on the paper's update (108,996 parameters, 27 chunks of set L; docs/THRESHOLD.md §8):
//! one member's smudged decryption shares of a round's aggregate (all chunks, one consuming call), the
//! combiner's work for a 3-of-5 committee with member 4 and 5 absent, and a holder's check of one dealer's
//! slot part, and one chunk's share-correctness proof (§6: prove and verify, `threshold::share_proof`).
//! Needs `--features threshold-bench` (ciphertexts admitted without proofs).

#[path = "cpu_time.rs"]
mod cpu_time;

use cpu_time::CpuTime;
use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::collections::BTreeSet;
use std::time::Duration;
use zkfl_core::bfv::{PlainModulus, public_a};
use zkfl_core::channel::identity::{SigningKey, VerifyingKey};
use zkfl_core::params::{ParamSet, SetL};
use zkfl_core::policy::plaintext_modulus;
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

/// A ledger that records nothing and reports spent exactly the markers of its set (the members' "signed"
/// and round markers from signing the receipts), so the member's own "signed" marker is found, no decryption
/// is ever counted, and the bench answers the same aggregate repeatedly.
struct Replay(BTreeSet<[u8; 32]>);
impl SpentLedger for Replay {
    fn is_spent(&self, d: &[u8; 32]) -> bool {
        self.0.contains(d)
    }
    fn spend_all<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        _: I,
    ) -> Result<(), LedgerRefusal> {
        Ok(())
    }
}
/// A ledger that records every marker spent into it (a member signing its receipt).
struct Record(BTreeSet<[u8; 32]>);
impl SpentLedger for Record {
    fn is_spent(&self, d: &[u8; 32]) -> bool {
        self.0.contains(d)
    }
    fn spend_all<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        items: I,
    ) -> Result<(), LedgerRefusal> {
        self.0.extend(items.copied());
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
    let mut a = Box::new(Pl::zero());
    public_a::<SetL, N>(&epoch.crs, &mut a);
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
    let mut signed = BTreeSet::new();
    let receipts: Vec<SpendReceipt> = (1..=4u8)
        .map(|i| {
            let h = &holdings[i as usize - 1];
            let mut own = Record(BTreeSet::new());
            let r = sign_receipt(h, &ids[i as usize - 1], &agg, &mut own, &mut rng).unwrap();
            signed.extend(own.0);
            r
        })
        .collect();
    let mut replay = Replay(signed);
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
                    &mut replay,
                    &mut rng,
                    &mut shares[0],
                )
                .unwrap();
        });
    });
    // Member 1's shares once more (the bench above may have been filtered out): the maker keeps the last
    // chunk's digits, the proof's witness.
    maker
        .make(
            &holdings[0],
            &agg,
            present,
            &spend,
            &smudger,
            &mut replay,
            &mut rng,
            &mut shares[0],
        )
        .unwrap();
    share_proof_benches(
        c,
        &plan,
        &dealers,
        (&a, &slot_keys, &committee),
        (&agg, present),
        &maker,
        &shares[0],
    );
    for h in 1..3 {
        maker
            .make(
                &holdings[h],
                &agg,
                present,
                &spend,
                &smudger,
                &mut replay,
                &mut rng,
                &mut shares[h],
            )
            .unwrap();
    }
    let received: Vec<MemberShares<'_, SetL, N>> = shares
        .iter()
        .enumerate()
        .map(|(h, s)| MemberShares {
            member: u8::try_from(h + 1).expect("a committee has fewer than 256 members"),
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

/// One chunk's share proof of member 1 (the last chunk, whose digits the maker kept): prove, then verify as
/// the combiner does (its own B_S and c1; the key-identity check included). Prints the proof's length.
fn share_proof_benches(
    c: &mut Criterion<CpuTime>,
    plan: &CheckedPlan<SetL>,
    dealers: &[Dealer],
    (a, slot_keys, committee): (&Pl, &[Pl], &Committee),
    (agg, present): (&Aggregate<'_, '_, M, N>, u32),
    maker: &ShareMaker<SetL, N, K>,
    shares: &[Pl],
) {
    use zkfl_core::bfv::keys::SecretKey;
    use zkfl_core::threshold::share_proof::{
        EpochPublic, ShareContext, SharePublic, prove, prove_buf_len, verify_member_share,
    };
    use zkfl_core::threshold::share_relation::assigned_slot_key;
    let l = shares.len();
    let j = l - 1;
    let params = zkfl_core::threshold::share_proof_params::derive(plan).unwrap();
    let centred = |p: &Pl| -> Box<[i64; N]> {
        Box::new(core::array::from_fn(|i| {
            i64::try_from(<M as zkfl_core::arith::Modulus>::to_centered(p.coeffs[i]))
                .expect("a short polynomial")
        }))
    };
    let mut s = Box::new(Pl::zero());
    let mut tmp = Box::new(Pl::zero());
    for u in (0..committee.slots()).filter(|&u| committee.assignee(present, u) == Some(1)) {
        for d in dealers {
            SecretKey::<SetL, N>::from_seed(d.slot_seed(u)).secret_chunk(j, &mut tmp);
            s.add_assign(&tmp);
        }
    }
    let (s, x2) = (centred(&s), centred(&maker.last_digits()[1]));
    let mut b_s = Box::new(Pl::zero());
    assigned_slot_key(committee, present, 1, slot_keys, l, j, &mut b_s);
    let binding = agg.binding();
    let ctx = ShareContext {
        key_id: agg.key_id(),
        binding: &binding,
        round: agg.round(),
        present,
        member: 1,
        supplement_for: 0,
        chunk: j,
    };
    let public = SharePublic {
        a,
        c1: agg.c1(),
        b_s: &b_s,
        d: &shares[j],
    };
    let mut rng = ChaCha20Rng::seed_from_u64(17);
    let mut out = vec![0u8; prove_buf_len::<SetL>(&params)];
    let mut len = 0;
    c.bench_function("threshold/share-proof-prove/one-chunk", |b| {
        b.iter(|| {
            len = prove::<SetL, N, _>(&params, &ctx, &public, &s, &x2, &mut rng, &mut out)
                .unwrap()
                .len;
        });
    });
    println!("share proof: {len} bytes (one chunk)");
    let epoch = EpochPublic {
        key_id: agg.key_id(),
        committee,
        a,
        slot_keys,
        chunks: l,
    };
    let mut scratch = Box::new(Pl::zero());
    c.bench_function("threshold/share-proof-verify/one-chunk", |b| {
        b.iter(|| {
            verify_member_share::<SetL, N>(
                &params,
                &epoch,
                agg,
                present,
                1,
                j,
                &shares[j],
                &out[..len],
                &mut scratch,
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
