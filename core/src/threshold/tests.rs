//! End-to-end threshold tests on set L (docs/THRESHOLD.md §7): the key ceremony (commit, reveal, deal),
//! clinics encrypting under the committee key, the core's own aggregate, smudged shares of every present
//! member, combination with n − t members absent (bit-exact) and with fewer than t (typed error); the
//! review-7 attacks as refusal tests; forgers of the new design built outside the honest code path.

extern crate std;
use super::aggregate::{LedgerRefusal, ciphertext_digest};
use super::keys::commitment;
use super::plan::{CheckedPlan, DECRYPTIONS_PER_KEY, MIN_CLINICS};
use super::slots::{Members, bit};
use super::*;
use crate::arith::Modulus;
use crate::bfv::{PlainModulus, encrypt, public_a};
use crate::channel::identity::{SigningKey, VerifyingKey};
use crate::params::{ParamSet, SetL};
use crate::policy::plaintext_modulus;
use crate::ring::{NttPoly, Poly};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use std::boxed::Box;
use std::collections::BTreeSet;
use std::vec;
use std::vec::Vec;

type P = SetL;
type M = <P as ParamSet>::M;
type C = <M as Modulus>::Coeff;
const N: usize = 4096;
const K: usize = 4;
type Pl = Poly<M, N>;

const MEMBERS: u32 = 5;
const THRESHOLD: u32 = 3;
const CHUNKS: usize = 2;
const CLINICS: usize = 3;
const B_INT: u64 = 1 << 16;
const ROUND: u64 = 7;

/// Runs `f` on a thread with a large stack (NTT scratch of set L is ~128 KiB per polynomial).
fn big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

fn plan() -> CheckedPlan<P> {
    CheckedPlan::design(MEMBERS, THRESHOLD, 1024, B_INT, CHUNKS).unwrap()
}

fn plain() -> PlainModulus<M> {
    PlainModulus::new(plaintext_modulus(1024, B_INT).unwrap()).unwrap()
}

fn committee() -> Committee {
    Committee::new(MEMBERS, THRESHOLD).unwrap()
}

/// The test epoch under the test roster (computed once: the roster's ML-DSA keys take a moment).
fn epoch() -> Epoch {
    static EPOCH: std::sync::OnceLock<Epoch> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(|| Epoch::new([3; 32], 1, committee(), &identities().1).unwrap())
}

/// A committee after the ceremony: every member's dealer secret and holdings, each dealer's revealed slot
/// shares (`published[i][u·L + j]`), the committee key and a in plain and NTT form.
struct Keyed {
    dealers: Vec<Dealer>,
    holdings: Vec<Box<Holdings>>,
    published: Vec<Vec<Pl>>,
    a: Box<Pl>,
    a_ntt: Box<NttPoly<N, K>>,
    b: Vec<Pl>,
    b_ntt: Vec<NttPoly<N, K>>,
    slot_keys: Vec<Pl>,
    /// The ceremony every member ran (each member's own copy is identical).
    ceremony: KeyCeremony,
    /// The round key identity (`RoundKey::id`) of this committee key under the test plan's t and B_int.
    key: [u8; 32],
}

fn public_shares(d: &Dealer) -> Vec<Pl> {
    let mut out = vec![Pl::zero(); committee().slots() * CHUNKS];
    let mut a = Box::new(NttPoly::<N, K>::zero());
    d.public_shares::<P, N, K>(d.epoch(), &mut a, CHUNKS, &mut out)
        .unwrap();
    out
}

/// Member `h`'s holdings after `ceremony` with the test roster and plan. The tests admit most ciphertexts
/// without their proofs (`Admitted::unverified`; set-L proofs take seconds), so these holdings opt in to
/// answering such aggregates (review 12, R12-7: a product build never does).
fn holdings_after(ceremony: &KeyCeremony, h: u8) -> Box<Holdings> {
    let mut held = Box::new(Holdings::new(ceremony, h, &identities().1, &plan()).unwrap());
    held.accept_unverified_admissions();
    held
}

/// NTT scratch for `Holdings::accept` (which expands a from the epoch's CRS into it).
fn scratch() -> Box<NttPoly<N, K>> {
    Box::new(NttPoly::zero())
}

/// A complete ceremony of `epoch()` in which the members of `real` revealed the given slot shares and every
/// other member all-zero ones (a placeholder key for tests of dealing, which do not look at the key).
fn placeholder_ceremony(real: &[(u8, &[Pl])]) -> KeyCeremony {
    let zeros = vec![Pl::zero(); committee().slots() * CHUNKS];
    let shares = |m: u8| {
        real.iter()
            .find(|(r, _)| *r == m)
            .map_or(&zeros[..], |(_, p)| p)
    };
    let mut ceremony = KeyCeremony::new(epoch());
    for m in 1..=MEMBERS as u8 {
        ceremony
            .commit(m, commitment(&epoch(), m, shares(m)))
            .unwrap();
    }
    let mut b = vec![Pl::zero(); CHUNKS];
    let mut slot_keys = zeros.clone();
    for m in 1..=MEMBERS as u8 {
        ceremony
            .reveal::<P, N>(m, shares(m), &mut b, &mut slot_keys)
            .unwrap();
    }
    ceremony
}

/// The digest of committee key (a, b) and its round key identity under the test plan.
fn round_key_id(a: &Pl, b: &[Pl]) -> ([u8; 32], [u8; 32]) {
    let b: Vec<[C; N]> = b.iter().map(|p| p.coeffs).collect();
    let digest = aggregate::committee_key_digest::<M, N>(&a.coeffs, &b);
    let t = plaintext_modulus(1024, B_INT).unwrap();
    (
        digest,
        aggregate::key_id(P::ID, epoch().epoch, t, B_INT, &digest),
    )
}

fn keygen(rng: &mut ChaCha20Rng) -> Keyed {
    let c = committee();
    let mut a = Box::new(Pl::zero());
    public_a::<P, N>(&epoch().crs, &mut a);
    let a_ntt = Box::new(NttPoly::from_poly(&*a));
    let dealers: Vec<Dealer> = (1..=MEMBERS as u8)
        .map(|i| Dealer::generate(&epoch(), i, rng).unwrap())
        .collect();
    let published: Vec<Vec<Pl>> = dealers.iter().map(public_shares).collect();
    let mut ceremony = KeyCeremony::new(epoch());
    for (d, p) in dealers.iter().zip(&published) {
        ceremony
            .commit(d.member(), commitment(&epoch(), d.member(), p))
            .unwrap();
    }
    let mut b = vec![Pl::zero(); CHUNKS];
    let mut slot_keys = vec![Pl::zero(); c.slots() * CHUNKS];
    for (d, p) in dealers.iter().zip(&published) {
        ceremony
            .reveal::<P, N>(d.member(), p, &mut b, &mut slot_keys)
            .unwrap();
    }
    assert!(ceremony.complete());
    let (digest, key) = round_key_id(&a, &b);
    assert_eq!(ceremony.committee_key().unwrap(), (digest, CHUNKS));
    let mut holdings: Vec<Box<Holdings>> = (1..=MEMBERS as u8)
        .map(|h| holdings_after(&ceremony, h))
        .collect();
    assert!(holdings.iter().all(|h| *h.key_id() == key));
    for (d, p) in dealers.iter().zip(&published) {
        for u in 0..c.slots() {
            for h in (1..=MEMBERS as u8).filter(|&h| c.holds(h, u)) {
                let seed = d.deal(&epoch(), u, h).unwrap();
                holdings[h as usize - 1]
                    .accept::<P, N, K>(
                        &ceremony,
                        d.member(),
                        u,
                        seed,
                        &mut scratch(),
                        &p[u * CHUNKS..(u + 1) * CHUNKS],
                    )
                    .unwrap();
            }
        }
    }
    assert!(holdings.iter().all(|h| h.complete()));
    let b_ntt = b.iter().map(NttPoly::from_poly).collect();
    Keyed {
        dealers,
        holdings,
        published,
        a,
        a_ntt,
        b,
        b_ntt,
        slot_keys,
        ceremony,
        key,
    }
}

/// One clinic's ciphertext (c1, c0) of a random update with coefficients in [−100, 100].
struct Ct {
    key: [u8; 32],
    m: Vec<[i64; N]>,
    c1: Box<[C; N]>,
    c0: Vec<[C; N]>,
}

fn encrypt_one(k: &Keyed, rng: &mut ChaCha20Rng) -> Ct {
    let m: Vec<[i64; N]> = (0..CHUNKS)
        .map(|_| core::array::from_fn(|_| (rng.next_u64() % 201) as i64 - 100))
        .collect();
    let mut c1 = Box::new(Pl::zero());
    let mut c0: Vec<Pl> = vec![Pl::zero(); CHUNKS];
    encrypt::<P, N, K>(&k.a_ntt, &k.b_ntt, plain(), &m, rng, &mut c1, &mut c0).unwrap();
    Ct {
        key: k.key,
        m,
        c1: Box::new(c1.coeffs),
        c0: c0.iter().map(|p| p.coeffs).collect(),
    }
}

fn clinics(k: &Keyed, count: usize, rng: &mut ChaCha20Rng) -> Vec<Ct> {
    (0..count).map(|_| encrypt_one(k, rng)).collect()
}

fn admit(cts: &[Ct]) -> Vec<Admitted<'_, M, N>> {
    cts.iter()
        .enumerate()
        .map(|(i, c)| Admitted::unverified(c.key, ROUND, 100 + i as u64, &c.c1, &c.c0))
        .collect()
}

fn sum(cts: &[Ct]) -> Vec<[i64; N]> {
    (0..CHUNKS)
        .map(|j| core::array::from_fn(|x| cts.iter().map(|c| c.m[j][x]).sum()))
        .collect()
}

/// A member's spent-ciphertext ledger in memory.
#[derive(Clone, Default)]
struct Spent(BTreeSet<[u8; 32]>);

impl SpentLedger for Spent {
    fn is_spent(&self, digest: &[u8; 32]) -> bool {
        self.0.contains(digest)
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

/// Every member's durable ledger (spent ciphertexts, rounds, answers and the epoch's decryption count), and the
/// spend receipts gathered per aggregate binding.
struct Ledgers {
    spent: Vec<Spent>,
    receipts: std::collections::BTreeMap<[u8; 32], Vec<SpendReceipt>>,
}

fn ledgers() -> Ledgers {
    Ledgers {
        spent: vec![Spent::default(); MEMBERS as usize],
        receipts: std::collections::BTreeMap::new(),
    }
}

/// The members' ML-DSA identities (test keys from fixed seeds) and the roster of their verifying keys.
fn identities() -> (Vec<SigningKey>, Vec<VerifyingKey>) {
    let ids: Vec<SigningKey> = (1..=MEMBERS as u8)
        .map(|i| SigningKey::from_seed(&[i; 32]))
        .collect();
    let roster = ids.iter().map(SigningKey::verifying_key).collect();
    (ids, roster)
}

/// Member `h`'s spend receipt for `agg` (it spends the aggregate in its own ledger).
fn receipt(
    k: &Keyed,
    l: &mut Ledgers,
    h: u8,
    agg: &Aggregate<'_, '_, M, N>,
    rng: &mut ChaCha20Rng,
) -> Result<SpendReceipt, ThresholdError> {
    let (ids, _) = identities();
    let i = h as usize - 1;
    sign_receipt(&k.holdings[i], &ids[i], agg, &mut l.spent[i], rng)
}

/// Receipts for `agg` from the quorum: `first` in order, then the other members, until ⌈(n + t)/2⌉ signed
/// (cached per aggregate; `first` is added if the cached quorum lacks it).
fn quorum_receipts(
    k: &Keyed,
    l: &mut Ledgers,
    first: &[u8],
    agg: &Aggregate<'_, '_, M, N>,
    rng: &mut ChaCha20Rng,
) -> Result<Vec<SpendReceipt>, ThresholdError> {
    let b = agg.binding();
    let mut have = l.receipts.get(&b).cloned().unwrap_or_default();
    let need = spend_quorum(MEMBERS, THRESHOLD) as usize;
    let order: Vec<u8> = first
        .iter()
        .copied()
        .chain((1..=MEMBERS as u8).filter(|m| !first.contains(m)))
        .collect();
    for (n, &m) in order.iter().enumerate() {
        let missing = !have.iter().any(|r| r.member == m);
        if missing && (have.len() < need || n < first.len()) {
            have.push(receipt(k, l, m, agg, rng)?);
        }
    }
    l.receipts.insert(b, have.clone());
    Ok(have)
}

/// A receipt signed outside the honest path (no ledger): `key`'s signature for `member` under roster digest `rho`.
fn forged_receipt(
    key: &SigningKey,
    rho: &[u8; 32],
    member: u8,
    agg: &Aggregate<'_, '_, M, N>,
    rng: &mut ChaCha20Rng,
) -> SpendReceipt {
    let msg = spend::receipt_message(&epoch(), rho, member, agg);
    let signature = key
        .sign_with_context(&msg, spend::RECEIPT_CONTEXT, rng)
        .unwrap();
    SpendReceipt { member, signature }
}

fn mask(members: &[u8]) -> Members {
    members.iter().fold(0, |m, &i| m | bit(i))
}

/// Member `h`'s shares of `agg` for present set `present`.
fn member_shares(
    k: &Keyed,
    l: &mut Ledgers,
    h: u8,
    agg: &Aggregate<'_, '_, M, N>,
    present: Members,
    rng: &mut ChaCha20Rng,
) -> Result<Vec<Pl>, ThresholdError> {
    let mut first: Vec<u8> = (1..=MEMBERS as u8)
        .filter(|&m| present & bit(m) != 0)
        .collect();
    if !first.contains(&h) {
        first.insert(0, h);
    }
    let receipts = quorum_receipts(k, l, &first, agg, rng)?;
    answer(k, l, h, agg, present, &receipts, rng)
}

/// Member `h`'s shares of `agg` for present set `present`, given `receipts`.
fn answer(
    k: &Keyed,
    l: &mut Ledgers,
    h: u8,
    agg: &Aggregate<'_, '_, M, N>,
    present: Members,
    receipts: &[SpendReceipt],
    rng: &mut ChaCha20Rng,
) -> Result<Vec<Pl>, ThresholdError> {
    let smudger = Smudger::new(&plan()).unwrap();
    answer_with(k, l, h, agg, present, receipts, &smudger, rng)
}

/// [`answer`] with a given smudger.
#[allow(clippy::too_many_arguments)]
fn answer_with(
    k: &Keyed,
    l: &mut Ledgers,
    h: u8,
    agg: &Aggregate<'_, '_, M, N>,
    present: Members,
    receipts: &[SpendReceipt],
    smudger: &Smudger<P>,
    rng: &mut ChaCha20Rng,
) -> Result<Vec<Pl>, ThresholdError> {
    let mut maker = Box::new(ShareMaker::<P, N, K>::new());
    let mut out = vec![Pl::zero(); agg.chunks()];
    let i = h as usize - 1;
    let (_, roster) = identities();
    let spend = Spend {
        roster: &roster,
        receipts,
    };
    maker.make(
        &k.holdings[i],
        agg,
        present,
        &spend,
        smudger,
        &mut l.spent[i],
        rng,
        &mut out,
    )?;
    Ok(out)
}

/// Decrypts `cts` with the members in `present` answering.
fn threshold_decrypt(
    k: &Keyed,
    l: &mut Ledgers,
    cts: &[Ct],
    present: &[u8],
    rng: &mut ChaCha20Rng,
) -> Result<Vec<[i64; N]>, ThresholdError> {
    let mut adm = admit(cts);
    let mut c0 = vec![Pl::zero(); CHUNKS];
    let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0)?;
    let p = mask(present);
    let mut shares = Vec::new();
    for &h in present {
        shares.push((h, member_shares(k, l, h, &agg, p, rng)?));
    }
    let received: Vec<MemberShares<'_, P, N>> = shares
        .iter()
        .map(|(h, s)| MemberShares {
            member: *h,
            aggregate: agg.binding(),
            shares: s,
        })
        .collect();
    let mut out = vec![[0i64; N]; CHUNKS];
    Combiner::<P, N>::new(plain(), committee()).decrypt(&agg, p, &received, &mut out)?;
    Ok(out)
}

#[test]
fn all_members_present_decrypt_the_aggregate_exactly() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let k = keygen(&mut rng);
        let cts = clinics(&k, CLINICS, &mut rng);
        let got = threshold_decrypt(&k, &mut ledgers(), &cts, &[1, 2, 3, 4, 5], &mut rng);
        assert_eq!(got.unwrap(), sum(&cts));
    });
}

#[test]
fn n_minus_t_members_absent_still_decrypt_bit_exact() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let k = keygen(&mut rng);
        let cts = clinics(&k, CLINICS, &mut rng);
        let got = threshold_decrypt(&k, &mut ledgers(), &cts, &[2, 4, 5], &mut rng);
        assert_eq!(got.unwrap(), sum(&cts));
    });
}

#[test]
fn a_share_is_the_assigned_slots_times_c1_plus_bounded_noise() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let k = keygen(&mut rng);
        let cts = clinics(&k, CLINICS, &mut rng);
        let mut adm = admit(&cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let present = mask(&[1, 3, 4]);
        let mut l = ledgers();
        let d = member_shares(&k, &mut l, 3, &agg, present, &mut rng).unwrap();
        let c = committee();
        let p = plan();
        for (j, dj) in d.iter().enumerate() {
            // S = Σ R_U over the slots assigned to member 3, recomputed here from the dealers' seeds.
            let mut s = Box::new(Pl::zero());
            let mut tmp = Box::new(Pl::zero());
            for u in (0..c.slots()).filter(|&u| c.assignee(present, u) == Some(3)) {
                for dealer in &k.dealers {
                    crate::bfv::SecretKey::<P, N>::from_seed(dealer.slot_seed(u))
                        .secret_chunk(j, &mut tmp);
                    s.add_assign(&tmp);
                }
            }
            let mut sc1 = Box::new(Pl::zero());
            crate::ring::poly::mul::<M, N, 7>(&s, agg.c1(), &mut sc1);
            let mut e = dj.clone();
            e.sub_assign(&sc1);
            let expected = p.plan().sigma_sq * N as u128;
            assert!(e.norm_sq_centered() > expected * 100 / 144);
            assert!(e.norm_sq_centered() < expected * 144 / 100);
            assert!((0..N).all(|x| e.centered(x).unsigned_abs() <= p.plan().share_coeff_bound));
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]
    /// Any present set of at least t members: bit-exact; fewer: `TooFewShares`, from the first member asked.
    #[test]
    fn any_dropout_pattern(present in 1u32..32, seed in any::<u64>()) {
        let members: Vec<u8> = (1..=MEMBERS as u8).filter(|i| present & bit(*i) != 0).collect();
        let result = std::sync::Arc::new(std::sync::Mutex::new(None));
        let r = result.clone();
        big_stack(move || {
            let mut rng = ChaCha20Rng::seed_from_u64(seed);
            let k = keygen(&mut rng);
            let cts = clinics(&k, CLINICS, &mut rng);
            let got = threshold_decrypt(&k, &mut ledgers(), &cts, &members, &mut rng);
            *r.lock().unwrap() = Some((sum(&cts), got));
        });
        let (want, got) = result.lock().unwrap().take().unwrap();
        if present.count_ones() >= THRESHOLD {
            prop_assert_eq!(got.unwrap(), want);
        } else {
            prop_assert_eq!(
                got.unwrap_err(),
                ThresholdError::TooFewShares { have: present.count_ones(), need: THRESHOLD }
            );
        }
    }
}

// ---- Review 7 (docs/THRESHOLD.md §10): the three attacks, now refused ----

/// Finding 1 (seed harvest). No seed is released at decryption: the only thing a member answers is one set of
/// smudged shares per aggregate. The coalition {1, 2} (t − 1) plus the aggregator: (a) no dealer deals the slot
/// {1, 2} to 1 or 2 and no holding accepts it; (b) asking an honest member again for the same aggregate under
/// another present set (the "claim someone else is absent" move) is refused; (c) everything the coalition
/// holds does not decrypt the round.
#[test]
fn review7_release_budget_harvest_is_refused() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(77);
        let mut k = keygen(&mut rng);
        let c = committee();
        let missing = (0..c.slots())
            .find(|&u| c.slot(u) == mask(&[1, 2]))
            .unwrap();
        for d in &k.dealers {
            for h in [1u8, 2] {
                assert_eq!(
                    d.deal(&epoch(), missing, h),
                    Err(ThresholdError::NotAHolder { member: h })
                );
            }
        }
        let seed = k.dealers[3].slot_seed(missing);
        let p = k.published[3][missing * CHUNKS..(missing + 1) * CHUNKS].to_vec();
        assert_eq!(
            k.holdings[0].accept::<P, N, K>(&k.ceremony, 4, missing, seed, &mut scratch(), &p),
            Err(ThresholdError::NotAHolder { member: 1 })
        );
        // (b) one answer per member and aggregate.
        let cts = clinics(&k, CLINICS, &mut rng);
        let mut adm = admit(&cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let mut l = ledgers();
        member_shares(&k, &mut l, 4, &agg, mask(&[1, 2, 4]), &mut rng).unwrap();
        assert!(matches!(
            member_shares(&k, &mut l, 4, &agg, mask(&[1, 2, 3, 4]), &mut rng).unwrap_err(),
            ThresholdError::AlreadyDecrypted { .. }
        ));
        // (c) the coalition's key material: every part of every slot it holds, plus its own parts of the
        // missing slot. Decrypting with it gives garbage.
        let mut s = Box::new(Pl::zero());
        let mut tmp = Box::new(Pl::zero());
        for u in 0..c.slots() {
            let held = c.holds(1, u) || c.holds(2, u);
            for d in &k.dealers {
                if held || d.member() <= 2 {
                    crate::bfv::SecretKey::<P, N>::from_seed(d.slot_seed(u))
                        .secret_chunk(0, &mut tmp);
                    s.add_assign(&tmp);
                }
            }
        }
        let mut phase = Box::new(Pl::zero());
        crate::ring::poly::mul::<M, N, 7>(&s, agg.c1(), &mut phase);
        phase.add_assign(&agg.c0()[0]);
        let mut out = Box::new([0i64; N]);
        plain().decode(&phase, &mut out);
        let want = sum(&cts);
        let right = out
            .iter()
            .zip(want[0].iter())
            .filter(|(a, b)| a == b)
            .count();
        assert!(right < N / 100, "{right} coefficients right");
        k.holdings.clear();
    });
}

/// Finding 2 (crafted c1 = 2^60). No API takes a c1: a member decrypts only an aggregate of admitted
/// ciphertexts, and admission runs the norm-proof verifier against the committee key and the round. A
/// "ciphertext" (2^60, 0) with any proof bytes is refused; so are a sum of copies, too few ciphertexts and an
/// all-zero c1.
#[test]
fn review7_constant_c1_is_refused() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(78);
        let k = keygen(&mut rng);
        let mut crafted = Box::new([0 as C; N]);
        crafted[0] = M::from_i64(1 << 60);
        let c0 = vec![[0 as C; N]; CHUNKS];
        let b: Vec<[C; N]> = k.b.iter().map(|p| p.coeffs).collect();
        let key = RoundKey::<M, N> {
            set_id: P::ID,
            a: &k.a.coeffs,
            b: &b,
            epoch: epoch().epoch,
            round: ROUND,
            t: plaintext_modulus(1024, B_INT).unwrap(),
            bound: B_INT,
        };
        let stmt = crate::zk::statement::Statement::<M, N> {
            pk_a: &k.a.coeffs,
            pk_b: &b,
            c1: &crafted,
            c0: &c0,
            t: plaintext_modulus(1024, B_INT).unwrap(),
            bound: B_INT,
        };
        let ctx = crate::zk::statement::Context {
            round: ROUND,
            clinic: 1,
        };
        assert!(matches!(
            Admitted::<M, N>::verify::<P>(&key, &stmt, &ctx, &[0u8; 64]),
            Err(ThresholdError::Proof(_))
        ));
        // The same statement under another key or round is refused before the proof is read.
        let other = RoundKey {
            round: ROUND + 1,
            ..key
        };
        assert_eq!(
            Admitted::<M, N>::verify::<P>(&other, &stmt, &ctx, &[]).unwrap_err(),
            ThresholdError::WrongRound
        );
        // Review 8, finding 5: a statement under another plaintext modulus t′ or bound B is refused before the
        // proof is read (under t′ < t its contribution decodes as about (t/t′)·m, past the norm bound).
        for (t, bound) in [(key.t - 2, B_INT), (key.t, 100), (key.t, B_INT + 1)] {
            let st = crate::zk::statement::Statement::<M, N> { t, bound, ..stmt };
            assert_eq!(
                Admitted::<M, N>::verify::<P>(&key, &st, &ctx, &[]).unwrap_err(),
                ThresholdError::WrongStatement
            );
        }
        let wrong_b: Vec<[C; N]> = vec![[1 as C; N]; CHUNKS];
        let wrong = RoundKey { b: &wrong_b, ..key };
        assert_eq!(
            Admitted::<M, N>::verify::<P>(&wrong, &stmt, &ctx, &[]).unwrap_err(),
            ThresholdError::WrongKey
        );
    });
}

/// Finding 3 (rogue key share). The last member computes b_5 = pk_adv − Σ_{k<5} b_k after seeing the others'
/// reveals; its reveal no longer opens the commitment it made before anyone revealed. A reveal before all
/// commitments is refused, and so is a commitment after the reveals began.
#[test]
fn review7_rogue_key_share_is_refused() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(79);
        let c = committee();
        let mut a = Box::new(Pl::zero());
        public_a::<P, N>(&epoch().crs, &mut a);
        let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&*a));
        let dealers: Vec<Dealer> = (1..=MEMBERS as u8)
            .map(|i| Dealer::generate(&epoch(), i, &mut rng).unwrap())
            .collect();
        let published: Vec<Vec<Pl>> = dealers.iter().map(public_shares).collect();
        let mut cer = KeyCeremony::new(epoch());
        let mut b = vec![Pl::zero(); CHUNKS];
        let mut sk = vec![Pl::zero(); c.slots() * CHUNKS];
        // Reveal before the commitments are in.
        assert_eq!(
            cer.reveal::<P, N>(1, &published[0], &mut b, &mut sk),
            Err(ThresholdError::CeremonyOrder)
        );
        for (d, p) in dealers.iter().zip(&published) {
            cer.commit(d.member(), commitment(&epoch(), d.member(), p))
                .unwrap();
        }
        assert_eq!(
            cer.commit(5, [0; 32]),
            Err(ThresholdError::Duplicate { member: 5 })
        );
        for (d, p) in dealers.iter().zip(&published).take(4) {
            cer.reveal::<P, N>(d.member(), p, &mut b, &mut sk).unwrap();
        }
        assert_eq!(cer.commit(1, [0; 32]), Err(ThresholdError::CeremonyOrder));
        // The rogue slot shares: slot 0 of chunk j carries pk_adv − Σ of the four revealed members' shares.
        let adv = crate::bfv::SecretKey::<P, N>::generate(&mut rng);
        let mut rogue = vec![Pl::zero(); c.slots() * CHUNKS];
        for j in 0..CHUNKS {
            adv.public_key_chunk(&a_ntt, j, &mut rogue[j]);
            rogue[j].sub_assign(&b[j]);
        }
        let before = b.clone();
        assert_eq!(
            cer.reveal::<P, N>(5, &rogue, &mut b, &mut sk),
            Err(ThresholdError::CommitmentMismatch { member: 5 })
        );
        assert_eq!(b, before, "nothing added on a failed reveal");
        // The committed reveal goes through; a repeat is refused.
        cer.reveal::<P, N>(5, &published[4], &mut b, &mut sk)
            .unwrap();
        assert!(cer.complete());
        assert_eq!(
            cer.reveal::<P, N>(5, &published[4], &mut b, &mut sk),
            Err(ThresholdError::Duplicate { member: 5 })
        );
        // A commitment binds the member index and the epoch: member 5's shares do not open as member 4's.
        let mut e2 = epoch();
        e2.epoch += 1;
        assert_ne!(
            commitment(&epoch(), 5, &published[4]),
            commitment(&epoch(), 4, &published[4])
        );
        assert_ne!(
            commitment(&epoch(), 5, &published[4]),
            commitment(&e2, 5, &published[4])
        );
    });
}

// ---- Forgers of the new design, built outside the honest code path ----

/// A dealer hands a holder a part seed that does not match its revealed slot share (a fresh seed, or another
/// slot's): refused, nothing recorded; the right one is accepted afterwards, a second copy is refused.
#[test]
fn forged_dealt_part_is_refused() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(80);
        let c = committee();
        let d = Dealer::generate(&epoch(), 2, &mut rng).unwrap();
        let p = public_shares(&d);
        let u = (0..c.slots()).find(|&u| c.holds(1, u)).unwrap();
        let v = (0..c.slots()).filter(|&v| c.holds(1, v)).nth(1).unwrap();
        let cer = placeholder_ceremony(&[(2, &p)]);
        let mut h = holdings_after(&cer, 1);
        let pu = &p[u * CHUNKS..(u + 1) * CHUNKS];
        let mut fresh = [0u8; 32];
        rng.fill_bytes(&mut fresh);
        for bad in [fresh, d.slot_seed(v)] {
            assert_eq!(
                h.accept::<P, N, K>(&cer, 2, u, bad, &mut scratch(), pu),
                Err(ThresholdError::DealtPartMismatch { dealer: 2, slot: u })
            );
        }
        // Review 8, finding 7: a prefix of the published share (one chunk of L) is refused.
        assert_eq!(
            h.accept::<P, N, K>(&cer, 2, u, d.slot_seed(u), &mut scratch(), &pu[..1]),
            Err(ThresholdError::ChunkCount {
                expected: CHUNKS,
                got: 1
            })
        );
        h.accept::<P, N, K>(&cer, 2, u, d.slot_seed(u), &mut scratch(), pu)
            .unwrap();
        assert_eq!(
            h.accept::<P, N, K>(&cer, 2, u, d.slot_seed(u), &mut scratch(), pu),
            Err(ThresholdError::Duplicate { member: 2 })
        );
        assert!(matches!(
            h.accept::<P, N, K>(&cer, 6, u, d.slot_seed(u), &mut scratch(), pu),
            Err(ThresholdError::MemberIndex { .. })
        ));
        assert!(!h.complete());
    });
}

/// Aggregates the core refuses to build: too few ciphertexts, a repeated ciphertext (under two clinic ids), a
/// repeated clinic id, c1 = 0; and the spent ledger refusing an overlapping second round.
#[test]
fn forged_aggregates_are_refused() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(81);
        let k = keygen(&mut rng);
        let cts = clinics(&k, 4, &mut rng);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let mut adm = admit(&cts[..2]);
        assert_eq!(
            Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap_err(),
            ThresholdError::TooFewCiphertexts {
                have: 2,
                need: MIN_CLINICS
            }
        );
        // One clinic's ciphertext three times under three ids: "the sum" is 3·ct.
        let mut copies: Vec<Admitted<'_, M, N>> = (0..3)
            .map(|i| Admitted::unverified(cts[0].key, ROUND, 200 + i, &cts[0].c1, &cts[0].c0))
            .collect();
        assert_eq!(
            Aggregate::build(&plan(), ROUND, &mut copies, &mut c0).unwrap_err(),
            ThresholdError::RepeatedCiphertext { clinic: 201 }
        );
        let mut same_id = [
            Admitted::unverified(cts[0].key, ROUND, 1, &cts[0].c1, &cts[0].c0),
            Admitted::unverified(cts[1].key, ROUND, 2, &cts[1].c1, &cts[1].c0),
            Admitted::unverified(cts[2].key, ROUND, 1, &cts[2].c1, &cts[2].c0),
        ];
        assert_eq!(
            Aggregate::build(&plan(), ROUND, &mut same_id, &mut c0).unwrap_err(),
            ThresholdError::RepeatedCiphertext { clinic: 1 }
        );
        let zero = Box::new([0 as C; N]);
        let mut zeros = [
            Admitted::unverified(cts[0].key, ROUND, 1, &cts[0].c1, &cts[0].c0),
            Admitted::unverified(cts[1].key, ROUND, 2, &cts[1].c1, &cts[1].c0),
            Admitted::unverified(cts[2].key, ROUND, 3, &zero, &cts[2].c0),
        ];
        assert_eq!(
            Aggregate::build(&plan(), ROUND, &mut zeros, &mut c0).unwrap_err(),
            ThresholdError::ZeroCiphertext { clinic: 3 }
        );
        // Overlapping rounds {0, 1, 2} and {0, 1, 3} differ by one individual ciphertext: member 2 answers the
        // first and refuses the second.
        let mut l = ledgers();
        let mut first = admit(&cts[..3]);
        let agg1 = Aggregate::build(&plan(), ROUND, &mut first, &mut c0).unwrap();
        member_shares(&k, &mut l, 2, &agg1, mask(&[1, 2, 3]), &mut rng).unwrap();
        let mut second = [
            Admitted::unverified(cts[0].key, ROUND + 1, 100, &cts[0].c1, &cts[0].c0),
            Admitted::unverified(cts[1].key, ROUND + 1, 101, &cts[1].c1, &cts[1].c0),
            Admitted::unverified(cts[3].key, ROUND + 1, 103, &cts[3].c1, &cts[3].c0),
        ];
        let mut c0b = vec![Pl::zero(); CHUNKS];
        let agg2 = Aggregate::build(&plan(), ROUND + 1, &mut second, &mut c0b).unwrap();
        let before = decryptions_taken(&epoch(), &l.spent[1]);
        assert!(matches!(
            member_shares(&k, &mut l, 2, &agg2, mask(&[1, 2, 3]), &mut rng).unwrap_err(),
            ThresholdError::AlreadyDecrypted { clinic: 100 | 101 }
        ));
        assert_eq!(
            decryptions_taken(&epoch(), &l.spent[1]),
            before,
            "a refusal records no decryption"
        );
        assert!(
            l.spent[1]
                .0
                .contains(&ciphertext_digest::<M, N>(&cts[0].c1, &cts[0].c0))
        );
    });
}

/// Share sets the combiner refuses (built by hand, not by `ShareMaker`): a member outside 1..=n, a member
/// twice, a member not in the present set (a "proxy" from a non-participant), one missing, a short set, a set
/// labelled with another aggregate; and a member asked outside the present set, or past its decryption limit.
#[test]
fn forged_share_sets_are_refused() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(82);
        let k = keygen(&mut rng);
        let cts = clinics(&k, CLINICS, &mut rng);
        let mut adm = admit(&cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let present = mask(&[1, 2, 3]);
        let mut l = ledgers();
        let honest: Vec<Vec<Pl>> = [1u8, 2, 3]
            .iter()
            .map(|&h| member_shares(&k, &mut l, h, &agg, present, &mut rng).unwrap())
            .collect();
        let fake = vec![Pl::zero(); CHUNKS];
        let set = |ids: &[u8]| -> Vec<MemberShares<'_, P, N>> {
            ids.iter()
                .map(|&h| MemberShares {
                    member: h,
                    aggregate: agg.binding(),
                    shares: if (1..=3).contains(&h) {
                        &honest[h as usize - 1]
                    } else {
                        &fake
                    },
                })
                .collect()
        };
        let mut comb = Combiner::<P, N>::new(plain(), committee());
        let mut out = vec![[0i64; N]; CHUNKS];
        comb.decrypt(&agg, present, &set(&[1, 2, 3]), &mut out)
            .unwrap();
        assert_eq!(out, sum(&cts));
        let cases: [(&[u8], ThresholdError); 4] = [
            (
                &[1, 2, 3, 0],
                ThresholdError::MemberIndex {
                    index: 0,
                    members: MEMBERS,
                },
            ),
            (&[1, 2, 2, 3], ThresholdError::Duplicate { member: 2 }),
            (
                &[1, 2, 3, 4],
                ThresholdError::ShareSetMismatch {
                    expected: present,
                    got: mask(&[1, 2, 3, 4]),
                },
            ),
            (
                &[1, 3],
                ThresholdError::ShareSetMismatch {
                    expected: present,
                    got: mask(&[1, 3]),
                },
            ),
        ];
        for (ids, err) in cases {
            assert_eq!(comb.check(present, CHUNKS, &set(ids)), Err(err), "{ids:?}");
        }
        let mut short = set(&[1, 2, 3]);
        short[1].shares = &honest[1][..1];
        assert!(matches!(
            comb.check(present, CHUNKS, &short),
            Err(ThresholdError::ChunkCount { .. })
        ));
        let mut relabelled = set(&[1, 2, 3]);
        relabelled[2].aggregate[0] ^= 1;
        assert_eq!(
            comb.decrypt(&agg, present, &relabelled, &mut out),
            Err(ThresholdError::WrongAggregate { member: 3 })
        );
        // Member 4 asked for a decryption whose present set leaves it out.
        assert_eq!(
            member_shares(&k, &mut l, 4, &agg, present, &mut rng).unwrap_err(),
            ThresholdError::NotInPresentSet { member: 4 }
        );
        // Past the decryption limit: member 5's durable ledger already counts Q answers of the epoch (review 11,
        // F3: the count is the ledger's, not a value the caller passes).
        let mut fresh = ledgers();
        fresh.spent[4]
            .0
            .extend((0..DECRYPTIONS_PER_KEY).map(|i| spend::decryption_marker(&epoch(), i)));
        let before = fresh.spent[4].0.len();
        assert_eq!(
            member_shares(&k, &mut fresh, 5, &agg, mask(&[3, 4, 5]), &mut rng).unwrap_err(),
            ThresholdError::KeyExhausted {
                limit: DECRYPTIONS_PER_KEY
            }
        );
        assert_eq!(
            decryptions_taken(&epoch(), &fresh.spent[4]),
            DECRYPTIONS_PER_KEY
        );
        // Only the receipt's spend (round, signed, ciphertexts) was recorded, no answer.
        assert_eq!(
            fresh.spent[4].0.len(),
            before + 2 + agg.ciphertexts().len(),
            "nothing answered"
        );
    });
}

/// A member that answers with a share of a different aggregate under the right label — the attack only the
/// share proof (THRESHOLD §6, not implemented) detects. This test documents the gap: the combination is
/// corrupted, not silently right, and nothing in the share set shows which member did it.
#[test]
fn a_share_for_another_aggregate_corrupts_the_result_without_a_proof() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(83);
        let k = keygen(&mut rng);
        let cts = clinics(&k, 6, &mut rng);
        let mut adm = admit(&cts[..3]);
        // The other aggregate is of the next round (a member signs one aggregate per round, §3.1.1).
        let mut other_adm: Vec<Admitted<'_, M, N>> = cts[3..]
            .iter()
            .enumerate()
            .map(|(i, c)| Admitted::unverified(c.key, ROUND + 1, 200 + i as u64, &c.c1, &c.c0))
            .collect();
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let mut c0o = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let other = Aggregate::build(&plan(), ROUND + 1, &mut other_adm, &mut c0o).unwrap();
        let present = mask(&[1, 2, 3]);
        let mut l = ledgers();
        let s1 = member_shares(&k, &mut l, 1, &agg, present, &mut rng).unwrap();
        let s2 = member_shares(&k, &mut l, 2, &agg, present, &mut rng).unwrap();
        let s3 = member_shares(&k, &mut l, 3, &other, present, &mut rng).unwrap();
        let received: Vec<MemberShares<'_, P, N>> = [(1u8, &s1), (2, &s2), (3, &s3)]
            .iter()
            .map(|(h, s)| MemberShares {
                member: *h,
                aggregate: agg.binding(),
                shares: s,
            })
            .collect();
        let mut out = vec![[0i64; N]; CHUNKS];
        Combiner::<P, N>::new(plain(), committee())
            .decrypt(&agg, present, &received, &mut out)
            .unwrap();
        let want = sum(&cts[..3]);
        let right = out[0]
            .iter()
            .zip(want[0].iter())
            .filter(|(a, b)| a == b)
            .count();
        assert!(right < N / 100, "{right} coefficients right");
    });
}

#[test]
fn admission_binds_key_and_digest() {
    // The digest of a ciphertext changes with any coefficient, so the ledger and the repeat check see it.
    let mut rng = ChaCha20Rng::seed_from_u64(84);
    let c1: Box<[C; N]> = Box::new(core::array::from_fn(|_| {
        M::from_i64((rng.next_u64() >> 4) as i64)
    }));
    let c0 = vec![[5 as C; N]; CHUNKS];
    let d = ciphertext_digest::<M, N>(&c1, &c0);
    let mut c1b = c1.clone();
    c1b[N - 1] = M::add(c1b[N - 1], 1);
    assert_ne!(d, ciphertext_digest::<M, N>(&c1b, &c0));
    assert_ne!(d, ciphertext_digest::<M, N>(&c1, &c0[..1]));
}

/// The admission path end to end with real norm proofs (set L, 2 chunks): three clinics prove their
/// ciphertexts under the committee key, every one is admitted by `Admitted::verify`, the round decrypts
/// bit-exact with members 1, 3, 5; a proof moved to another clinic id is refused. Slow (three set-L proofs):
/// `cargo test -p zkfl-core --lib threshold::tests::admitted -- --ignored`.
#[test]
#[ignore = "three set-L proofs; run with --ignored"]
fn admitted_ciphertexts_with_real_proofs_decrypt() {
    use crate::zk::prove::{SliceUpdate, Witness, prove};
    use crate::zk::statement::{Context, Statement};
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(85);
        let k = keygen(&mut rng);
        let b: Vec<[C; N]> = k.b.iter().map(|p| p.coeffs).collect();
        let t = plaintext_modulus(1024, B_INT).unwrap();
        let delta = plain().delta();
        let small = |rng: &mut ChaCha20Rng, r: u64| -> [i64; N] {
            core::array::from_fn(|_| (rng.next_u64() % (2 * r + 1)) as i64 - r as i64)
        };
        let mut cts = Vec::new();
        let mut proofs = Vec::new();
        for clinic in 0..CLINICS as u64 {
            let u = small(&mut rng, 1);
            let m: Vec<[i64; N]> = (0..CHUNKS).map(|_| small(&mut rng, 100)).collect();
            let up = Box::new(Pl::from_i64(&u));
            let mut c1 = Box::new(Pl::zero());
            crate::ring::poly::mul::<M, N, 7>(&k.a, &up, &mut c1);
            c1.add_assign(&Pl::from_i64(&small(&mut rng, 2)));
            let mut c0 = Vec::new();
            for (j, mj) in m.iter().enumerate() {
                let mut cj = Box::new(Pl::zero());
                crate::ring::poly::mul::<M, N, 7>(&k.b[j], &up, &mut cj);
                cj.add_assign(&Pl::from_i64(&small(&mut rng, 2)));
                let mut dm = Pl::from_i64(mj);
                dm.scalar_mul_assign(delta);
                cj.add_assign(&dm);
                c0.push(cj.coeffs);
            }
            let ct = Ct {
                key: k.key,
                m: m.clone(),
                c1: Box::new(c1.coeffs),
                c0,
            };
            let stmt = Statement::<M, N> {
                pk_a: &k.a.coeffs,
                pk_b: &b,
                c1: &ct.c1,
                c0: &ct.c0,
                t,
                bound: B_INT,
            };
            let ctx = Context {
                round: ROUND,
                clinic,
            };
            let mut out = vec![0u8; stmt.layout::<P>().unwrap().prove_buf_len()];
            let uv: Vec<i64> = u.to_vec();
            let mut w = Witness {
                u: &uv,
                m: SliceUpdate(&m),
            };
            let stats = prove::<P, N, _, _>(&stmt, &ctx, &mut w, &mut rng, &mut out).unwrap();
            out.truncate(stats.len);
            proofs.push(out);
            cts.push(ct);
        }
        let key = RoundKey::<M, N> {
            set_id: P::ID,
            a: &k.a.coeffs,
            b: &b,
            epoch: epoch().epoch,
            round: ROUND,
            t: plaintext_modulus(1024, B_INT).unwrap(),
            bound: B_INT,
        };
        let stmts: Vec<Statement<'_, M, N>> = cts
            .iter()
            .map(|ct| Statement {
                pk_a: &k.a.coeffs,
                pk_b: &b,
                c1: &ct.c1,
                c0: &ct.c0,
                t,
                bound: B_INT,
            })
            .collect();
        let mut adm: Vec<Admitted<'_, M, N>> = stmts
            .iter()
            .zip(&proofs)
            .enumerate()
            .map(|(i, (st, pr))| {
                let ctx = Context {
                    round: ROUND,
                    clinic: i as u64,
                };
                Admitted::verify::<P>(&key, st, &ctx, pr).unwrap()
            })
            .collect();
        // Clinic 0's proof presented as clinic 9's: the context is bound into the proof.
        let moved = Context {
            round: ROUND,
            clinic: 9,
        };
        assert!(matches!(
            Admitted::verify::<P>(&key, &stmts[0], &moved, &proofs[0]),
            Err(ThresholdError::Proof(_))
        ));
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let present = mask(&[1, 3, 5]);
        let mut l = ledgers();
        let shares: Vec<(u8, Vec<Pl>)> = [1u8, 3, 5]
            .iter()
            .map(|&h| {
                (
                    h,
                    member_shares(&k, &mut l, h, &agg, present, &mut rng).unwrap(),
                )
            })
            .collect();
        let received: Vec<MemberShares<'_, P, N>> = shares
            .iter()
            .map(|(h, s)| MemberShares {
                member: *h,
                aggregate: agg.binding(),
                shares: s,
            })
            .collect();
        let mut out = vec![[0i64; N]; CHUNKS];
        Combiner::<P, N>::new(plain(), committee())
            .decrypt(&agg, present, &received, &mut out)
            .unwrap();
        assert_eq!(out, sum(&cts));
    });
}

/// Why not Shamir over Z_q (THRESHOLD §2.3), as an attack on the rejected design, from its public equations:
/// with coalition {2, 3}, absent member 1 and quorum {2, 4, 5}, honest holder 4's proxy share carries the absent
/// key share s_a with weight μ = −5/3 (`plan::shamir_weight`), i.e. d = μ·s_a·c1 + E after the coalition removes
/// the part it knows. Colluding clinics know U and E2 (c1 = a·U + E2), so w = d + μ·b_a·U = μ·z + E with
/// z = s_a·E2 − e'_a·U short, and 3·w = −5·z + 3·E exactly: z mod 3 is read off every coefficient despite
/// σ ≈ 2^49 of smudging. The same readout on a 0/1 weight (the replicated design) matches only by chance.
#[test]
fn shamir_proxy_share_leaks_the_key_modulo_the_weight_denominator() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(86);
        let smudger = Smudger::new(&plan()).unwrap();
        let small = |rng: &mut ChaCha20Rng, r: u64| -> Box<Pl> {
            let c: [i64; N] =
                core::array::from_fn(|_| (rng.next_u64() % (2 * r + 1)) as i64 - r as i64);
            Box::new(Pl::from_i64(&c))
        };
        let mut a = Box::new(Pl::zero());
        crate::ring::sample::uniform(
            &mut crate::ring::sample::Xof::new(&[4; 32], b"shamir", 0),
            &mut *a,
        );
        let (s_a, e_a) = (small(&mut rng, 1), small(&mut rng, 5));
        let (u_agg, e2_agg) = (small(&mut rng, 3), small(&mut rng, 6));
        let mul = |x: &Pl, y: &Pl| {
            let mut o = Box::new(Pl::zero());
            crate::ring::poly::mul::<M, N, 7>(x, y, &mut o);
            o
        };
        // c1 = a·U + E2, b_a = −(a·s_a + e'_a), z = s_a·E2 − e'_a·U.
        let mut c1 = mul(&a, &u_agg);
        c1.add_assign(&e2_agg);
        let mut b_a = mul(&a, &s_a);
        b_a.add_assign(&e_a);
        b_a.neg_assign();
        let mut z = mul(&s_a, &e2_agg);
        z.sub_assign(&mul(&e_a, &u_agg));
        let sc1 = mul(&s_a, &c1);
        let bu = mul(&b_a, &u_agg);
        let q = <M as Modulus>::Q;
        let inv3 = if (q + 1) % 3 == 0 {
            (q + 1) / 3
        } else {
            (2 * q + 1) / 3
        };
        let mut matches = |num: i64, den: u128| -> usize {
            let mu = if den == 1 {
                M::from_i64(num)
            } else {
                assert_eq!(den, 3);
                M::mul(M::from_i64(num), M::from_u128(inv3))
            };
            let mut digits = [Pl::zero(), Pl::zero()];
            let mut e = Box::new(Pl::zero());
            smudger.sample(&mut rng, &mut digits, &mut e).unwrap();
            // The honest share's unknown part and the coalition's correction.
            let mut w = sc1.clone();
            w.add_assign(&bu);
            w.scalar_mul_assign(mu);
            w.add_assign(&e);
            w.scalar_mul_assign(M::from_u128(den));
            (0..N)
                .filter(|&x| (w.centered(x) - i128::from(num) * z.centered(x)).rem_euclid(3) == 0)
                .count()
        };
        // Weight −5/3: every coefficient of 3·w ≡ −5·z (mod 3).
        assert_eq!(matches(-5, 3), N);
        // Weight 1 (a slot part in the replicated sharing): w = z + E, and w ≡ z (mod 3) only by chance.
        let by_chance = matches(1, 1);
        assert!(by_chance < N / 2, "{by_chance} of {N}");
    });
}

/// Ciphertexts admitted for `round` under clinic ids `id`, `id` + 1, ….
fn admit_in(cts: &[Ct], round: u64, id: u64) -> Vec<Admitted<'_, M, N>> {
    cts.iter()
        .enumerate()
        .map(|(i, c)| Admitted::unverified(c.key, round, id + i as u64, &c.c1, &c.c0))
        .collect()
}

/// Review 8, finding 1 (attack A, the break; its proof of concept ported to the crate's test harness). With a
/// per-member spent ledger, aggregate A = {w, x, y, z} answered by present set {1, 2, 3} and B = {x, y, z} by
/// {1, 2, 4} (coalition {1, 2} ignoring its ledgers) gave dec(A) − dec(B) = m_w: honest members 3 and 4 each saw
/// every ciphertext once. Now a member answers only with spend receipts from a quorum of ⌈(n + t)/2⌉ = 4
/// (docs/THRESHOLD.md §3.1.1): A decrypts (the adversary even picks the quorum {1, 2, 3, 5} that leaves member 4
/// out), but B (next round, so the one-aggregate-per-round rule is not what stops it) gets receipts only from the
/// coalition and member 4: honest 3 and 5 refuse, member 4 refuses to answer (`TooFewReceipts`), replayed or
/// duplicated receipts are refused. Attack A' (one corrupt member, present {1, 3, 4} then {1, 2, 5}) fails the
/// same way; a second aggregate in the same round is refused by the round rule.
#[test]
fn review8_differencing_across_honest_members_is_refused() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(88);
        let k = keygen(&mut rng);
        let cts = clinics(&k, 4, &mut rng);
        let forget = |l: &mut Ledgers, corrupt: &[u8]| {
            for &c in corrupt {
                l.spent[c as usize - 1] = Spent::default();
            }
        };
        let mut l = ledgers();
        // A = {w, x, y, z}, quorum {1, 2, 3, 5}, present {1, 2, 3}: decrypts bit-exact.
        let mut adm_a = admit_in(&cts, ROUND, 100);
        let mut c0a = vec![Pl::zero(); CHUNKS];
        let agg_a = Aggregate::build(&plan(), ROUND, &mut adm_a, &mut c0a).unwrap();
        let w_a = quorum_receipts(&k, &mut l, &[1, 2, 3, 5], &agg_a, &mut rng).unwrap();
        let present_a = mask(&[1, 2, 3]);
        let shares: Vec<(u8, Vec<Pl>)> = [1u8, 2, 3]
            .iter()
            .map(|&h| {
                (
                    h,
                    answer(&k, &mut l, h, &agg_a, present_a, &w_a, &mut rng).unwrap(),
                )
            })
            .collect();
        let recv: Vec<MemberShares<'_, P, N>> = shares
            .iter()
            .map(|(h, s)| MemberShares {
                member: *h,
                aggregate: agg_a.binding(),
                shares: s,
            })
            .collect();
        let mut out = vec![[0i64; N]; CHUNKS];
        Combiner::<P, N>::new(plain(), committee())
            .decrypt(&agg_a, present_a, &recv, &mut out)
            .unwrap();
        assert_eq!(out, sum(&cts));
        // B = {x, y, z} in the next round, for present {1, 2, 4}.
        forget(&mut l, &[1, 2]);
        let mut adm_b = admit_in(&cts[1..], ROUND + 1, 101);
        let mut c0b = vec![Pl::zero(); CHUNKS];
        let agg_b = Aggregate::build(&plan(), ROUND + 1, &mut adm_b, &mut c0b).unwrap();
        let mut w_b = Vec::new();
        for h in 1..=MEMBERS as u8 {
            match receipt(&k, &mut l, h, &agg_b, &mut rng) {
                Ok(r) => w_b.push(r),
                Err(e) => {
                    assert!([3, 5].contains(&h), "member {h}: {e:?}");
                    assert!(matches!(e, ThresholdError::AlreadyDecrypted { .. }));
                }
            }
        }
        assert_eq!(w_b.len(), 3, "the coalition and member 4 only");
        let present_b = mask(&[1, 2, 4]);
        assert_eq!(
            answer(&k, &mut l, 4, &agg_b, present_b, &w_b, &mut rng).unwrap_err(),
            ThresholdError::TooFewReceipts { have: 3, need: 4 }
        );
        // Padding the quorum: a coalition receipt twice, or member 3's receipt for A moved to B.
        let mut dup = w_b.clone();
        dup.push(w_b[0].clone());
        assert_eq!(
            answer(&k, &mut l, 4, &agg_b, present_b, &dup, &mut rng).unwrap_err(),
            ThresholdError::Duplicate { member: 1 }
        );
        let mut moved = w_b.clone();
        moved.push(w_a.iter().find(|r| r.member == 3).unwrap().clone());
        assert_eq!(
            answer(&k, &mut l, 4, &agg_b, present_b, &moved, &mut rng).unwrap_err(),
            ThresholdError::Signature { member: 3 }
        );
        assert_eq!(
            decryptions_taken(&epoch(), &l.spent[3]),
            0,
            "member 4 never answered"
        );
        // A second aggregate in A's round: refused by the round rule even by a member that did not sign A.
        let cts_c = clinics(&k, 3, &mut rng);
        let mut adm_c = admit_in(&cts_c, ROUND, 300);
        let mut c0c = vec![Pl::zero(); CHUNKS];
        let agg_c = Aggregate::build(&plan(), ROUND, &mut adm_c, &mut c0c).unwrap();
        assert_eq!(
            receipt(&k, &mut l, 3, &agg_c, &mut rng).unwrap_err(),
            ThresholdError::RoundSpent { round: ROUND }
        );
        // Attack A': one corrupt member; A = {w', x', y', z'} with quorum {1, 3, 4, 5} and present {1, 3, 4}; B for
        // present {1, 2, 5} gets receipts from 1 and 2 only.
        let cts2 = clinics(&k, 4, &mut rng);
        let mut l = ledgers();
        let mut adm_a = admit_in(&cts2, ROUND, 100);
        let agg_a = Aggregate::build(&plan(), ROUND, &mut adm_a, &mut c0a).unwrap();
        let w_a = quorum_receipts(&k, &mut l, &[1, 3, 4, 5], &agg_a, &mut rng).unwrap();
        for h in [1u8, 3, 4] {
            answer(&k, &mut l, h, &agg_a, mask(&[1, 3, 4]), &w_a, &mut rng).unwrap();
        }
        forget(&mut l, &[1]);
        let mut adm_b = admit_in(&cts2[1..], ROUND + 1, 101);
        let agg_b = Aggregate::build(&plan(), ROUND + 1, &mut adm_b, &mut c0b).unwrap();
        let w_b: Vec<SpendReceipt> = (1..=MEMBERS as u8)
            .filter_map(|h| receipt(&k, &mut l, h, &agg_b, &mut rng).ok())
            .collect();
        assert_eq!(w_b.iter().map(|r| r.member).collect::<Vec<_>>(), [1, 2]);
        for h in [1u8, 2, 5] {
            assert!(answer(&k, &mut l, h, &agg_b, mask(&[1, 2, 5]), &w_b, &mut rng).is_err());
        }
    });
}

/// Review 8, finding 2 (attack C): an adversarial clinic encrypts different messages with the same
/// randomness, so its ciphertexts share one c1 under distinct digests; an aggregate of more than K of them was
/// accepted and answered (its c1 is K'·c1_single). Now `Aggregate::build` refuses more than the plan's K, two
/// equal c1, and a ciphertext admitted for another round; K ciphertexts with distinct c1 still build.
#[test]
fn review8_same_c1_and_oversized_aggregates_are_refused() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(89);
        let k = keygen(&mut rng);
        // A plan with K = 8, so K + 1 ciphertexts fit in memory (the check is the same at K = 1024).
        let small = CheckedPlan::<P>::design(MEMBERS, THRESHOLD, 8, B_INT, CHUNKS).unwrap();
        let kp = small.plan().clinics as usize + 1;
        let same: Vec<Ct> = (0..kp)
            .map(|i| {
                let mut m = vec![[0i64; N]; CHUNKS];
                m[0][0] = i as i64;
                let mut r = ChaCha20Rng::seed_from_u64(42);
                let mut c1 = Box::new(Pl::zero());
                let mut c0 = vec![Pl::zero(); CHUNKS];
                encrypt::<P, N, K>(&k.a_ntt, &k.b_ntt, plain(), &m, &mut r, &mut c1, &mut c0)
                    .unwrap();
                Ct {
                    key: k.key,
                    m,
                    c1: Box::new(c1.coeffs),
                    c0: c0.iter().map(|p| p.coeffs).collect(),
                }
            })
            .collect();
        assert!(same.iter().all(|c| c.c1 == same[0].c1));
        assert!(same.iter().skip(1).all(|c| c.c0 != same[0].c0));
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let mut all = admit(&same);
        assert_eq!(
            Aggregate::build(&small, ROUND, &mut all, &mut c0).unwrap_err(),
            ThresholdError::TooManyCiphertexts {
                have: kp as u64,
                max: 8
            }
        );
        let mut three = admit(&same[..3]);
        assert!(matches!(
            Aggregate::build(&small, ROUND, &mut three, &mut c0).unwrap_err(),
            ThresholdError::RepeatedCiphertext { .. }
        ));
        // K distinct honest ciphertexts build; one admitted for another round is refused.
        let honest = clinics(&k, 8, &mut rng);
        let mut ok = admit(&honest);
        assert!(Aggregate::build(&small, ROUND, &mut ok, &mut c0).is_ok());
        let mut stale = admit(&honest[..3]);
        stale[1] =
            Admitted::unverified(honest[1].key, ROUND - 1, 101, &honest[1].c1, &honest[1].c0);
        assert_eq!(
            Aggregate::build(&small, ROUND, &mut stale, &mut c0).unwrap_err(),
            ThresholdError::WrongRound
        );
        // Review 8, finding 5: ciphertexts admitted under two different round keys do not form one aggregate.
        let mut mixed = admit(&honest[..3]);
        mixed[2] = mixed[2].with_key([1; 32]);
        assert_eq!(
            Aggregate::build(&small, ROUND, &mut mixed, &mut c0).unwrap_err(),
            ThresholdError::WrongKey
        );
        // The aggregate is a set: its binding does not depend on the order of the list.
        let mut fwd = admit(&honest[..3]);
        let mut rev: Vec<_> = admit(&honest[..3]).into_iter().rev().collect();
        let mut c0b = vec![Pl::zero(); CHUNKS];
        let b1 = Aggregate::build(&small, ROUND, &mut fwd, &mut c0)
            .unwrap()
            .binding();
        let b2 = Aggregate::build(&small, ROUND, &mut rev, &mut c0b)
            .unwrap()
            .binding();
        assert_eq!(b1, b2);
    });
}

/// Review 8, finding 3 (attack B): part seeds were H(label, secret, slot rank), so a dealer kept across a
/// rotation re-dealt the same parts, and after a restart with a renumbered committee a coalition already held
/// an honest dealer's part of its new missed slot. Now a `Dealer` belongs to one epoch and its seeds bind the
/// CRS, the epoch, n, t, the member and the slot mask: the same secret gives unrelated parts in another epoch,
/// and the dealer refuses to deal under another committee.
#[test]
fn review8_part_seeds_are_bound_to_the_epoch() {
    let e1 = epoch();
    let e2 = Epoch {
        epoch: e1.epoch + 1,
        ..e1
    };
    let c4 = Committee::new(4, 3).unwrap();
    let e3 = Epoch {
        committee: c4,
        ..e2
    };
    // The same secret (same RNG state) in three epochs.
    let dealer =
        |e: &Epoch, m: u8| Dealer::generate(e, m, &mut ChaCha20Rng::seed_from_u64(5)).unwrap();
    let (d1, d2) = (dealer(&e1, 5), dealer(&e2, 5));
    let d3 = dealer(&e3, 4); // old member 5 renumbered to 4 after a disqualification
    let seeds1: Vec<[u8; 32]> = (0..e1.committee.slots()).map(|u| d1.slot_seed(u)).collect();
    for u in 0..e1.committee.slots() {
        assert!(
            !seeds1.contains(&d2.slot_seed(u)),
            "rotation reuses slot {u}"
        );
    }
    for u in 0..c4.slots() {
        assert!(
            !seeds1.contains(&d3.slot_seed(u)),
            "restart reuses slot {u}"
        );
    }
    // The PoC's case: slot {1, 3} (mask 0b101) of the 3-of-4 committee against every seed of epoch 1.
    let u13 = (0..c4.slots()).find(|&u| c4.slot(u) == 0b101).unwrap();
    let holder = (1..=4u8).find(|&h| c4.holds(h, u13)).unwrap();
    assert!(!seeds1.contains(&d3.deal(&e3, u13, holder).unwrap()));
    // A dealer of epoch 3 (3-of-4) refuses the 3-of-5 committee, and a member index outside 1..=n is refused.
    assert_eq!(d3.deal(&e1, 0, 5), Err(ThresholdError::WrongEpoch));
    assert!(matches!(
        Dealer::generate(&e3, 5, &mut ChaCha20Rng::seed_from_u64(5)),
        Err(ThresholdError::MemberIndex { .. })
    ));
}

/// Review 10, R10-2: a `Dealer` kept across a rotation with the same (n, t) re-dealt its old parts, because
/// `deal` and `public_shares` compared only the committee. Now both compare the whole epoch (and `public_shares`
/// expands a from the dealer's own CRS).
#[test]
fn review10_kept_dealer_refuses_a_rotated_epoch() {
    big_stack(|| {
        let e1 = epoch();
        let e2 = Epoch {
            epoch: e1.epoch + 1,
            ..e1
        };
        let e_crs = Epoch { crs: [4; 32], ..e1 };
        let d1 = Dealer::generate(&e1, 5, &mut ChaCha20Rng::seed_from_u64(5)).unwrap();
        let c = e1.committee;
        let u = (0..c.slots()).find(|&u| c.holds(1, u)).unwrap();
        assert!(d1.deal(&e1, u, 1).is_ok());
        let mut out = vec![Pl::zero(); c.slots() * CHUNKS];
        let mut a = Box::new(NttPoly::<N, K>::zero());
        for other in [&e2, &e_crs] {
            assert_eq!(d1.deal(other, u, 1), Err(ThresholdError::WrongEpoch));
            assert_eq!(
                d1.public_shares::<P, N, K>(other, &mut a, CHUNKS, &mut out),
                Err(ThresholdError::WrongEpoch)
            );
        }
    });
}

/// Review 8, finding 6 (attack D) and review 10, R10-3: a smudger and an aggregate's K cap came from a caller's
/// `Plan` (public fields). Now both take a `CheckedPlan`, which only `CheckedPlan::design` makes (a forged
/// `Plan { outer_sigma: 1, .. }` has no way in), and `make` refuses an aggregate larger than the smudger's K or
/// a smudger of another committee shape or chunk count.
#[test]
fn review10_share_maker_refuses_an_aggregate_or_shape_its_plan_does_not_cover() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(101);
        let k = keygen(&mut rng);
        let cts = clinics(&k, 4, &mut rng);
        let mut adm = admit(&cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let present = mask(&[1, 2, 3]);
        let mut l = ledgers();
        let receipts = quorum_receipts(&k, &mut l, &[1, 2, 3], &agg, &mut rng).unwrap();
        let k3 = CheckedPlan::<P>::design(MEMBERS, THRESHOLD, 3, B_INT, CHUNKS).unwrap();
        let other_shape = CheckedPlan::<P>::design(3, 2, 1024, B_INT, CHUNKS).unwrap();
        let other_l =
            CheckedPlan::<P>::design(MEMBERS, THRESHOLD, 1024, B_INT, CHUNKS + 1).unwrap();
        let cases = [
            (k3, ThresholdError::TooManyCiphertexts { have: 4, max: 3 }),
            (other_shape, ThresholdError::WrongPlan),
            (other_l, ThresholdError::WrongPlan),
        ];
        for (p, err) in cases {
            let smudger = Smudger::new(&p).unwrap();
            assert_eq!(
                answer_with(&k, &mut l, 1, &agg, present, &receipts, &smudger, &mut rng)
                    .unwrap_err(),
                err
            );
        }
        // Nothing was recorded by the refusals: the right plan answers.
        assert!(answer(&k, &mut l, 1, &agg, present, &receipts, &mut rng).is_ok());
    });
}

/// Review 8 finding 5 (rest) and review 10 attempt 11: an aggregate admitted under a round key that is not the
/// member's own (another epoch number, another t, another committee key — e.g. an aggregator-supplied a′ = 2^60
/// that brings back review 7's constant-c1 leak) was answered, because `make` never compared key identities.
/// Now the holdings know their committee key and `make` recomputes the identity from its own epoch and plan.
#[test]
fn review10_share_maker_refuses_an_aggregate_under_a_foreign_key() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(104);
        let k = keygen(&mut rng);
        let mut cts = clinics(&k, CLINICS, &mut rng);
        let (digest, _) = round_key_id(&k.a, &k.b);
        let t = plaintext_modulus(1024, B_INT).unwrap();
        let foreign = [
            aggregate::key_id(P::ID, epoch().epoch + 1, t, B_INT, &digest),
            aggregate::key_id(P::ID, epoch().epoch, t + 2, B_INT, &digest),
            aggregate::key_id(P::ID, epoch().epoch, t, B_INT, &[7; 32]),
            // Review 12, R12-6: the same key under another parameter set's id.
            aggregate::key_id(crate::params::SetS::ID, epoch().epoch, t, B_INT, &digest),
        ];
        for key in foreign {
            for c in &mut cts {
                c.key = key;
            }
            let mut adm = admit(&cts);
            let mut c0 = vec![Pl::zero(); CHUNKS];
            let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
            let mut l = ledgers();
            assert_eq!(
                member_shares(&k, &mut l, 1, &agg, mask(&[1, 2, 3]), &mut rng).unwrap_err(),
                ThresholdError::WrongKey
            );
        }
        for c in &mut cts {
            c.key = k.key;
        }
        let mut adm = admit(&cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        assert!(member_shares(&k, &mut ledgers(), 1, &agg, mask(&[1, 2, 3]), &mut rng).is_ok());
    });
}

/// Review 10, R10-1 and R10-6: the spend was checked under a roster and epoch the request carried, and the
/// member's own spend only by a signature under that roster. Now the roster must be the holdings' own (digest),
/// the member's own ledger must hold its "signed" marker for the aggregate, and a roster repeating a key is
/// refused.
#[test]
fn review10_spend_is_pinned_to_the_members_roster_and_ledger() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(102);
        let k = keygen(&mut rng);
        let cts = clinics(&k, 4, &mut rng);
        let mut adm_b = admit(&cts[1..]);
        let mut c0b = vec![Pl::zero(); CHUNKS];
        let agg_b = Aggregate::build(&plan(), ROUND, &mut adm_b, &mut c0b).unwrap();
        let mut l = ledgers();
        // (a) The aggregator's roster: its own keys for every member, receipts for B signed by it, including
        // one "from" member 4 under the substituted key. Refused before any signature is looked at.
        let fake: Vec<SigningKey> = (1..=MEMBERS as u8)
            .map(|i| SigningKey::from_seed(&[100 + i; 32]))
            .collect();
        let fake_roster: Vec<VerifyingKey> = fake.iter().map(SigningKey::verifying_key).collect();
        // No holdings take the fake roster under this epoch (review 11, F2): the aggregator signs directly.
        assert_eq!(
            Holdings::new(&k.ceremony, 4, &fake_roster, &plan()).unwrap_err(),
            ThresholdError::WrongRoster
        );
        let rho = roster_digest(&epoch(), &fake_roster).unwrap();
        let forged: Vec<SpendReceipt> = (1..=4u8)
            .map(|i| forged_receipt(&fake[i as usize - 1], &rho, i, &agg_b, &mut rng))
            .collect();
        let smudger = Smudger::new(&plan()).unwrap();
        let present = mask(&[1, 2, 4]);
        let mut maker = Box::new(ShareMaker::<P, N, K>::new());
        let mut out = vec![Pl::zero(); CHUNKS];
        let spend = Spend {
            roster: &fake_roster,
            receipts: &forged,
        };
        assert_eq!(
            maker.make(
                &k.holdings[3],
                &agg_b,
                present,
                &spend,
                &smudger,
                &mut l.spent[3],
                &mut rng,
                &mut out,
            ),
            Err(ThresholdError::WrongRoster)
        );
        // (b) The true roster, a full quorum of genuine receipts, one of them member 4's signed under a ledger
        // it no longer has (a lost or forked ledger): its own ledger lacks the "signed" marker, so it refuses.
        let (ids, roster) = identities();
        let mut receipts: Vec<SpendReceipt> = [1u8, 2, 3]
            .iter()
            .map(|&i| receipt(&k, &mut l, i, &agg_b, &mut rng).unwrap())
            .collect();
        receipts.push(
            sign_receipt(
                &k.holdings[3],
                &ids[3],
                &agg_b,
                &mut Spent::default(),
                &mut rng,
            )
            .unwrap(),
        );
        assert_eq!(
            answer(&k, &mut l, 4, &agg_b, present, &receipts, &mut rng).unwrap_err(),
            ThresholdError::NotSpentByMember { member: 4 }
        );
        // Members 1..3 signed in their own ledgers and answer.
        assert!(answer(&k, &mut l, 1, &agg_b, present, &receipts, &mut rng).is_ok());
        // (c) R10-6: a receipt binds its signer's index: member 1's signature relabelled as member 2 fails.
        let mut moved = receipts.clone();
        moved[1].signature = moved[0].signature.clone();
        assert_eq!(
            check_receipts(&k.holdings[1], &roster, &agg_b, &moved),
            Err(ThresholdError::Signature { member: 2 })
        );
        // A roster that repeats a key is refused, as is one of another size.
        let mut twice = roster.clone();
        twice[1] = twice[0].clone();
        assert_eq!(
            Holdings::new(&k.ceremony, 1, &twice, &plan()).unwrap_err(),
            ThresholdError::WrongRoster
        );
        assert_eq!(
            Holdings::new(&k.ceremony, 1, &roster[..4], &plan()).unwrap_err(),
            ThresholdError::WrongRoster
        );
    });
}

/// A ledger holding at most `cap` markers (a full disk).
struct Capped(BTreeSet<[u8; 32]>, usize);

impl SpentLedger for Capped {
    fn is_spent(&self, digest: &[u8; 32]) -> bool {
        self.0.contains(digest)
    }
    fn spend_all<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        items: I,
    ) -> Result<(), LedgerRefusal> {
        if let Some(i) = items.clone().position(|d| self.0.contains(d)) {
            return Err(LedgerRefusal::Spent(i));
        }
        if self.0.len() + items.clone().count() > self.1 {
            return Err(LedgerRefusal::Full);
        }
        self.0.extend(items.copied());
        Ok(())
    }
}

/// Review 10, R10-5: signing recorded the ciphertexts, then the round marker, one write at a time; a full
/// ledger between the two left the ciphertexts spent and the round open. Now one all-or-nothing test-and-set
/// records the round marker, the signed marker and every ciphertext, or nothing: after `LedgerFull` the
/// ledger is unchanged and the same aggregate can be signed once there is room, exactly once.
#[test]
fn review10_receipt_spend_is_all_or_nothing() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(103);
        let k = keygen(&mut rng);
        let cts = clinics(&k, CLINICS, &mut rng);
        let mut adm = admit(&cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let (ids, _) = identities();
        let h = &k.holdings[1];
        // Room for the ciphertexts but not the two markers as well.
        let mut ledger = Capped(BTreeSet::new(), CLINICS);
        assert_eq!(
            sign_receipt(h, &ids[1], &agg, &mut ledger, &mut rng).unwrap_err(),
            ThresholdError::LedgerFull
        );
        assert!(ledger.0.is_empty());
        ledger.1 = CLINICS + 2;
        assert!(sign_receipt(h, &ids[1], &agg, &mut ledger, &mut rng).is_ok());
        assert_eq!(ledger.0.len(), CLINICS + 2);
        assert_eq!(
            sign_receipt(h, &ids[1], &agg, &mut ledger, &mut rng).unwrap_err(),
            ThresholdError::RoundSpent { round: ROUND }
        );
    });
}

// ---- The share relation of §6.1 (what the share proof will enforce; not the proof) ----

/// S = Σ R_U over the slots assigned to `member` under `present`, chunk j, from the dealers' seeds.
fn assigned_parts(k: &Keyed, present: Members, member: u8, j: usize) -> Box<Pl> {
    let c = committee();
    let mut s = Box::new(Pl::zero());
    let mut tmp = Box::new(Pl::zero());
    for u in (0..c.slots()).filter(|&u| c.assignee(present, u) == Some(member)) {
        for dealer in &k.dealers {
            crate::bfv::SecretKey::<P, N>::from_seed(dealer.slot_seed(u)).secret_chunk(j, &mut tmp);
            s.add_assign(&tmp);
        }
    }
    s
}

/// d = S·c1 + X1 + 2^23·X2, from the public equation (a cheating member knows its own S).
fn share_from_equation(s: &Pl, c1: &Pl, x1: &Pl, x2: &Pl) -> Box<Pl> {
    let mut d = Box::new(Pl::zero());
    crate::ring::poly::mul::<M, N, 7>(s, c1, &mut d);
    d.add_assign(x1);
    d.add_scaled_assign(M::from_i64(1 << super::plan::OUTER_SHIFT), x2);
    d
}

/// Relation check (S, X2) against (a, c1, B_S, d).
fn relation(
    k: &Keyed,
    c1: &Pl,
    b_s: &Pl,
    d: &Pl,
    s: &Pl,
    x2: &Pl,
) -> Result<(), share_relation::RelationError> {
    let stmt = share_relation::ShareStatement {
        a: &k.a,
        c1,
        b_s,
        d,
    };
    let bounds = share_proof_params::ShareBounds::of(&plan());
    let mut scratch = Box::new(share_relation::RelationScratch::<N, K>::default());
    let (mut e_s, mut x1) = (Box::new(Pl::zero()), Box::new(Pl::zero()));
    share_relation::check_witness::<P, N, K>(&stmt, &bounds, s, x2, &mut scratch, &mut e_s, &mut x1)
}

/// The relation of §6.1 holds for an honest share with the member's own assigned parts and digits (B_S computed
/// from the slot keys and P), and each forged share class of §6.8, built from the public equation outside the
/// honest code path, violates it for the cheater's best witnesses: d + Δ·X^k, a digit one past its bound,
/// another member's parts, another slot assignment, another aggregate. This tests the relation (the prover's
/// self-check and the verifier's B_S), not a proof: a verifier cannot run it (§6.8).
#[test]
fn share_relation_holds_for_honest_shares_and_refuses_forged_ones() {
    use share_relation::RelationError::{HighDigit, KeyError, LowDigit};
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(170);
        let k = keygen(&mut rng);
        let cts = clinics(&k, 6, &mut rng);
        let mut adm = admit(&cts[..3]);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let mut adm2 = admit_in(&cts[3..], ROUND + 1, 200);
        let mut c0b = vec![Pl::zero(); CHUNKS];
        let other = Aggregate::build(&plan(), ROUND + 1, &mut adm2, &mut c0b).unwrap();
        let present = mask(&[1, 2, 3]);
        let mut l = ledgers();
        let receipts = quorum_receipts(&k, &mut l, &[1, 2, 3], &agg, &mut rng).unwrap();
        let (_, roster) = identities();
        let spend = Spend {
            roster: &roster,
            receipts: &receipts,
        };
        let mut maker = Box::new(ShareMaker::<P, N, K>::new());
        let mut d = vec![Pl::zero(); CHUNKS];
        maker
            .make(
                &k.holdings[1],
                &agg,
                present,
                &spend,
                &Smudger::new(&plan()).unwrap(),
                &mut l.spent[1],
                &mut rng,
                &mut d,
            )
            .unwrap();
        let j = CHUNKS - 1;
        let [x1, x2] = maker.last_digits().clone();
        let s2 = assigned_parts(&k, present, 2, j);
        let c = committee();
        let b_s_of = |p: Members, h: u8| {
            let mut b = Box::new(Pl::zero());
            share_relation::assigned_slot_key(&c, p, h, &k.slot_keys, CHUNKS, j, &mut b);
            b
        };
        let b_s = b_s_of(present, 2);
        // The verifier's B_S partition the slots: over every present set, Σ_{h∈P} B_{S,h} is the committee key.
        for p in [present, mask(&[1, 2, 3, 4, 5]), mask(&[2, 4, 5])] {
            let mut sum = Box::new(Pl::zero());
            for h in (1..=MEMBERS as u8).filter(|&h| p & bit(h) != 0) {
                sum.add_assign(&b_s_of(p, h));
            }
            assert_eq!(*sum, k.b[j]);
        }
        let c1 = agg.c1();
        assert_eq!(relation(&k, c1, &b_s, &d[j], &s2, &x2), Ok(()));

        // (a) d + Δ·X^5: the honest witness fails X1; moving ⌊Δ/2^23⌋ into X2 fails X2.
        let delta = M::Q / u128::from(plaintext_modulus(1024, B_INT).unwrap());
        let mut bumped = Box::new(d[j].clone());
        bumped.coeffs[5] = M::add(bumped.coeffs[5], M::from_u128(delta));
        assert_eq!(relation(&k, c1, &b_s, &bumped, &s2, &x2), Err(LowDigit));
        let mut x2b = Box::new(x2.clone());
        x2b.coeffs[5] = M::add(
            x2b.coeffs[5],
            M::from_u128(delta >> super::plan::OUTER_SHIFT),
        );
        assert_eq!(relation(&k, c1, &b_s, &bumped, &s2, &x2b), Err(HighDigit));

        // (b) digits at their bound pass, one past it fail (a single coefficient carries the whole norm).
        let bounds = share_proof_params::ShareBounds::of(&plan());
        let spike = |v: u128| {
            let mut p = Box::new(Pl::zero());
            p.coeffs[0] = M::from_u128(v);
            p
        };
        let (r1, r2) = (
            crate::policy::ceil_sqrt(bounds.x1_sq + 1) - 1,
            crate::policy::ceil_sqrt(bounds.x2_sq + 1) - 1,
        );
        for (v1, v2, want) in [
            (r1, 0, Ok(())),
            (r1 + 1, 0, Err(LowDigit)),
            (0, r2, Ok(())),
            (0, r2 + 1, Err(HighDigit)),
        ] {
            let (x1f, x2f) = (spike(v1), spike(v2));
            let df = share_from_equation(&s2, c1, &x1f, &x2f);
            assert_eq!(relation(&k, c1, &b_s, &df, &s2, &x2f), want, "{v1} {v2}");
        }

        // (c) another member's parts (member 3's assigned parts under P) against member 2's B_S, and member 2's
        // parts under another assignment (P' = {2, 3, 4}, where it covers more slots).
        let s3 = assigned_parts(&k, present, 3, j);
        let forged = share_from_equation(&s3, c1, &x1, &x2);
        assert_eq!(relation(&k, c1, &b_s, &forged, &s3, &x2), Err(KeyError));
        assert_eq!(relation(&k, c1, &b_s, &forged, &s2, &x2), Err(LowDigit));
        let s2p = assigned_parts(&k, mask(&[2, 3, 4]), 2, j);
        assert_ne!(*s2p, *s2);
        let forged = share_from_equation(&s2p, c1, &x1, &x2);
        assert_eq!(relation(&k, c1, &b_s, &forged, &s2p, &x2), Err(KeyError));
        assert_eq!(relation(&k, c1, &b_s, &forged, &s2, &x2), Err(LowDigit));
        // Under its own assignment the same share is consistent: the refusal comes from B_S, which the
        // verifier computes from P.
        let b_s_p = b_s_of(mask(&[2, 3, 4]), 2);
        assert_eq!(relation(&k, c1, &b_s_p, &forged, &s2p, &x2), Ok(()));

        // (d) a share of another aggregate (its c1) against this aggregate's c1.
        let forged = share_from_equation(&s2, other.c1(), &x1, &x2);
        assert_eq!(relation(&k, c1, &b_s, &forged, &s2, &x2), Err(LowDigit));
        assert_eq!(relation(&k, other.c1(), &b_s, &forged, &s2, &x2), Ok(()));
    });
}

mod rev11;
mod rev12;
mod rev12_fixes;
mod rev13;
mod rev14;
mod rev15;
mod share_forgers;
mod share_proof;
