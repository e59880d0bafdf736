//! Five committee members as five real `zkfl keyholder --committee` processes (docs/THRESHOLD.md §16), set up by
//! `zkfl keygen --committee 5 --threshold 3`, with this test as the relaying aggregator: the key ceremony through
//! their pipes (signed commitments and reveals, dealt parts sealed to each holder's roster KEM key), all five
//! certify one committee key that `certificate::check` accepts under the roster file, a relayed envelope the
//! relay altered is refused as the relay's fault, and member 5 killed and restarted rebuilds its holdings from its
//! own database. Then a round with three clinics (the core's minimum aggregate)' real set-L ciphertexts and norm proofs under that key, member 5
//! offline: members 1–4 verify every proof themselves and sign receipts, members 1–3 answer the present set, and
//! the combination is bit-exact; with two members online the round fails cleanly: no present set below t, and a
//! member shown two receipts answers nothing.

mod common;

use common::{TempDir, zkfl};
use zkfl_aggregator::committee::member::Design;
use zkfl_aggregator::committee::member::{C, Combination, N, P, Submission};
use zkfl_aggregator::committee::process::{
    ACCEPT, ACCEPT_SEALED, ANSWER, CERTIFY, COMMIT, DEAL, KEY, MemberProcess, READY, RECEIPT,
    REVEAL, decode_key, encode_answer, encode_submissions,
};
use zkfl_aggregator::committee::roster::CommitteeRoster;
use zkfl_core::channel::identity::Signature;
use zkfl_core::threshold::certificate::{self, KeySignature};

const DESIGN: Design = Design {
    clinics: 1024,
    b_int: 1 << 16,
    chunks: 1,
};

#[test]
fn five_member_processes_run_the_ceremony_and_one_restarts_from_its_database() {
    let tmp = TempDir::new("committee-processes");
    let keys = tmp.0.join("keys");
    let out = zkfl()
        .args(["keygen", "--param-set", "L", "--clinics", "2"])
        .args(["--committee", "5", "--threshold", "3", "--out"])
        .arg(&keys)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_zkfl"));
    let member_dir = |i: u8| keys.join("members").join(i.to_string());
    let mut members: Vec<MemberProcess> = (1..=5u8)
        .map(|i| MemberProcess::start(exe, &member_dir(i), DESIGN).unwrap())
        .collect();

    let commits: Vec<Vec<u8>> = members
        .iter_mut()
        .map(|m| m.call(COMMIT, &[]).unwrap())
        .collect();
    for m in &mut members {
        for c in &commits {
            m.call(ACCEPT, c).unwrap();
        }
    }
    let reveals: Vec<Vec<u8>> = members
        .iter_mut()
        .map(|m| m.call(REVEAL, &[]).unwrap())
        .collect();
    for m in &mut members {
        for r in &reveals {
            m.call(ACCEPT, r).unwrap();
        }
    }
    for d in 0..5 {
        for h in 0..5u8 {
            let sealed = members[d].call(DEAL, &[h + 1]).unwrap();
            if d == 0 && h == 1 {
                // The relay alters one envelope it carries: refused, and blamed on the relay, not dealer 1.
                let mut altered = sealed.clone();
                let at = altered.len() - 40;
                altered[at] ^= 1;
                let why = members[1].call(ACCEPT_SEALED, &altered).unwrap_err();
                assert!(why.contains("relay"), "{why}");
            }
            members[usize::from(h)]
                .call(ACCEPT_SEALED, &sealed)
                .unwrap();
        }
    }
    for m in &mut members {
        assert_eq!(m.call(READY, &[]).unwrap(), [1]);
    }

    // All five certify one key identity, accepted under the roster file a clinic holds.
    let roster =
        CommitteeRoster::parse(&std::fs::read(keys.join("public/committee-roster.json")).unwrap())
            .unwrap();
    let certify = |m: &mut MemberProcess, i: u8| {
        let c = m.call(CERTIFY, &[]).unwrap();
        let id: [u8; 32] = c[..32].try_into().unwrap();
        let sig = KeySignature {
            member: i,
            signature: Signature::from_bytes(&c[32..]).unwrap(),
        };
        (id, sig)
    };
    let certs: Vec<([u8; 32], KeySignature)> = members
        .iter_mut()
        .zip(1..=5u8)
        .map(|(m, i)| certify(m, i))
        .collect();
    let key_id = certs[0].0;
    assert!(certs.iter().all(|c| c.0 == key_id));
    let sigs: Vec<KeySignature> = certs.into_iter().map(|c| c.1).collect();
    certificate::check(
        &roster.epoch().unwrap(),
        &roster.verifying_keys().unwrap(),
        &key_id,
        &sigs,
    )
    .unwrap();

    // Member 5 is killed; a new process on the same directory rebuilds its holdings from its database and
    // certifies the same key.
    members.pop().unwrap().kill();
    let mut m5 = MemberProcess::start(exe, &member_dir(5), DESIGN).unwrap();
    assert_eq!(m5.call(READY, &[]).unwrap(), [1]);
    assert_eq!(certify(&mut m5, 5).0, key_id);
    // And it refuses a second ceremony in this epoch.
    assert!(m5.call(COMMIT, &[]).is_err());

    // A round: three clinics (an aggregate of fewer is refused: one clinic alone would be decrypted), member 5
    // offline.
    let (a, b) = decode_key(&members[0].call(KEY, &[]).unwrap()).unwrap();
    assert!(
        members
            .iter_mut()
            .all(|m| decode_key(&m.call(KEY, &[]).unwrap()).unwrap().1 == b)
    );
    m5.kill();
    let (subs, sum) = big(move || clinics(&a, &b, 1, 3));
    let subs_bytes = encode_submissions(&subs);
    let mut body = 1u64.to_le_bytes().to_vec();
    body.extend_from_slice(&subs_bytes);
    let receipts: Vec<Vec<u8>> = members
        .iter_mut()
        .map(|m| m.call(RECEIPT, &body).unwrap())
        .collect();
    // The same request again (a lost reply): the kept receipt, bit for bit.
    assert_eq!(members[1].call(RECEIPT, &body).unwrap(), receipts[1]);
    let (a, b) = decode_key(&members[0].call(KEY, &[]).unwrap()).unwrap();
    let mut agg = Combination::new(&roster, DESIGN, a, b).unwrap();
    // The combiner follows the signed commitments and reveals it relayed (its own slot keys for the share
    // proofs, docs/THRESHOLD.md §16.4 item 5).
    let public: Vec<Vec<u8>> = commits.iter().chain(&reveals).cloned().collect();
    let agg = big(move || {
        for m in &public {
            agg.observe(m).unwrap();
        }
        agg
    });
    let present = 0b111;
    let p = big({
        let subs = subs.clone();
        move || agg.present(1, &subs, present).map(|p| (p, agg))
    });
    let (p, agg) = p.unwrap();
    let answer = encode_answer(1, &p, &receipts, &subs);
    let shares: Vec<(u8, Vec<u8>)> = (0..3)
        .map(|i| (i as u8 + 1, members[i].call(ANSWER, &answer).unwrap()))
        .collect();
    let out = big({
        let subs = subs.clone();
        move || agg.combine(1, &subs, present, &shares).map(|o| (o, agg))
    });
    let (out, agg) = out.unwrap();
    assert_eq!(&out[0][..], &sum[..], "bit-exact with member 5 offline");

    // Round 2 with only members 1 and 2 online: no present set below t, and no answer without a quorum.
    let (a, b) = decode_key(&members[0].call(KEY, &[]).unwrap()).unwrap();
    let (subs2, _) = big(move || clinics(&a, &b, 2, 3));
    let mut body2 = 2u64.to_le_bytes().to_vec();
    body2.extend_from_slice(&encode_submissions(&subs2));
    let receipts2: Vec<Vec<u8>> = members[..2]
        .iter_mut()
        .map(|m| m.call(RECEIPT, &body2).unwrap())
        .collect();
    let (too_few, p2, agg) = big({
        let subs2 = subs2.clone();
        move || {
            (
                agg.present(2, &subs2, 0b11).is_err(),
                agg.present(2, &subs2, 0b111).unwrap(),
                agg,
            )
        }
    });
    drop(agg);
    assert!(too_few, "no present set below t");
    let why = members[0]
        .call(ANSWER, &encode_answer(2, &p2, &receipts2, &subs2))
        .unwrap_err();
    assert!(why.contains("receipt"), "{why}");
}

/// Runs `f` on a thread with room for set-L objects.
fn big<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// `count` clinics' submissions for `round` under (a, b): real encryptions of small updates with their norm
/// proofs (set L, the committee design's plaintext modulus), and the sum of the updates.
fn clinics(a: &[C; N], b: &[[C; N]], round: u64, count: u64) -> (Vec<Submission>, Vec<i64>) {
    use rand_chacha::ChaCha20Rng;
    use rand_core::{Rng, SeedableRng};
    use zkfl_core::params::ParamSet;
    use zkfl_core::policy::plaintext_modulus;
    use zkfl_core::ring::Poly;
    use zkfl_core::zk::prove::{SliceUpdate, Witness, prove};
    use zkfl_core::zk::statement::{Context, Statement};
    type M = <P as ParamSet>::M;
    let mut rng = ChaCha20Rng::seed_from_u64(round);
    let t = plaintext_modulus(DESIGN.clinics, DESIGN.b_int).unwrap();
    let delta = zkfl_core::bfv::PlainModulus::<M>::new(t).unwrap().delta();
    let small = |rng: &mut ChaCha20Rng, r: u64| -> [i64; N] {
        core::array::from_fn(|_| (rng.next_u64() % (2 * r + 1)) as i64 - r as i64)
    };
    let pa = Box::new(Poly::<M, N> { coeffs: *a });
    let mut sum = vec![0i64; N];
    let mut subs = Vec::new();
    for clinic in 1..=count {
        let u = small(&mut rng, 1);
        let m = small(&mut rng, 100);
        for (s, x) in sum.iter_mut().zip(&m) {
            *s += x;
        }
        let up = Box::new(Poly::<M, N>::from_i64(&u));
        let mut c1 = Box::new(Poly::<M, N>::zero());
        zkfl_core::ring::poly::mul::<M, N, 7>(&pa, &up, &mut c1);
        c1.add_assign(&Poly::from_i64(&small(&mut rng, 2)));
        let pb = Box::new(Poly::<M, N> { coeffs: b[0] });
        let mut c0 = Box::new(Poly::<M, N>::zero());
        zkfl_core::ring::poly::mul::<M, N, 7>(&pb, &up, &mut c0);
        c0.add_assign(&Poly::from_i64(&small(&mut rng, 2)));
        let mut dm = Poly::<M, N>::from_i64(&m);
        dm.scalar_mul_assign(delta);
        c0.add_assign(&dm);
        let c0v = vec![c0.coeffs];
        let stmt = Statement::<M, N> {
            pk_a: a,
            pk_b: b,
            c1: &c1.coeffs,
            c0: &c0v,
            t,
            bound: DESIGN.b_int,
        };
        let ctx = Context { round, clinic };
        let mut out = vec![0u8; stmt.layout::<P>().unwrap().prove_buf_len()];
        let uv = u.to_vec();
        let ms = [m];
        let mut w = Witness {
            u: &uv,
            m: SliceUpdate(&ms),
        };
        let stats = prove::<P, N, _, _>(&stmt, &ctx, &mut w, &mut rng, &mut out).unwrap();
        out.truncate(stats.len);
        subs.push(Submission {
            clinic,
            c1: Box::new(c1.coeffs),
            c0: c0v,
            proof: out,
        });
    }
    (subs, sum)
}
