//! Five committee members as five real `zkfl keyholder --committee` processes (docs/THRESHOLD.md §16), set up by
//! `zkfl keygen --committee 5 --threshold 3`, driven by the aggregator's relay (`committee::relay::Committee`):
//! the key ceremony through their pipes (signed commitments and reveals, dealt parts sealed to each holder's
//! roster KEM key), all five certify one committee key that `certificate::check` accepts under the roster file,
//! a relayed envelope the relay altered is refused as the relay's fault, the ceremony's outputs are kept in the
//! aggregator's data directory and reloaded without a second ceremony, and member 5 killed and restarted
//! rebuilds its holdings from its own database. Then a round with three clinics' (the core's minimum
//! aggregate) real set-L ciphertexts and norm proofs under that key, member 5 offline: members 1–4 verify every
//! proof themselves and sign receipts, answer the present set, and the combination is bit-exact; with two
//! members online the round fails with too few key holders before any member answers, and a member shown two
//! receipts answers nothing.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{TempDir, zkfl};
use zkfl_aggregator::committee::link::MemberLink;
use zkfl_aggregator::committee::member::Combination;
use zkfl_aggregator::committee::member::Design;
use zkfl_aggregator::committee::process::{
    ACCEPT_SEALED, ANSWER, CERTIFY, COMMIT, MemberProcess, READY, RECEIPT, encode_answer,
    encode_submissions,
};
use zkfl_aggregator::committee::relay::{CEREMONY_FILE, Committee, RelayError, on_big_stack};
use zkfl_aggregator::committee::roster::CommitteeRoster;
use zkfl_core::threshold::certificate;

const DESIGN: Design = Design {
    clinics: 1024,
    b_int: 1 << 16,
    chunks: 1,
};

/// A member process the test can kill, restart or take offline while the relay holds its link; it can also
/// lose the next answer requests (the member never sees them: offline at answer time).
#[derive(Clone)]
struct Handle(Arc<Mutex<Option<MemberProcess>>>, Arc<AtomicUsize>);

impl Handle {
    fn set(&self, p: Option<MemberProcess>) {
        if let Some(old) = std::mem::replace(&mut *self.0.lock().unwrap(), p) {
            old.kill();
        }
    }
    fn call(&self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        if op == ANSWER
            && self
                .1
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            return Err("connection reset".into());
        }
        self.0
            .lock()
            .unwrap()
            .as_mut()
            .ok_or_else(|| "offline".to_owned())?
            .call(op, body)
    }
}

impl MemberLink for Handle {
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        Handle::call(self, op, body)
    }
}

/// Member 2's link: the first sealed envelope it is given is first relayed altered (one bit), which the member
/// must refuse as the relay's fault; then the real one.
struct Tamper {
    inner: Handle,
    refused: Arc<Mutex<Option<String>>>,
}

impl MemberLink for Tamper {
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        let mut seen = self.refused.lock().unwrap();
        if op == ACCEPT_SEALED && seen.is_none() {
            let mut altered = body.to_vec();
            let at = altered.len() - 40;
            altered[at] ^= 1;
            *seen = Some(match self.inner.call(op, &altered) {
                Ok(_) => "accepted".to_owned(),
                Err(why) => why,
            });
        }
        drop(seen);
        self.inner.call(op, body)
    }
}

fn links(
    handles: &[Handle],
    refused: &Arc<Mutex<Option<String>>>,
) -> Vec<Option<Box<dyn MemberLink>>> {
    handles
        .iter()
        .enumerate()
        .map(|(i, h)| -> Option<Box<dyn MemberLink>> {
            if i == 1 {
                Some(Box::new(Tamper {
                    inner: h.clone(),
                    refused: Arc::clone(refused),
                }))
            } else {
                Some(Box::new(h.clone()))
            }
        })
        .collect()
}

#[test]
fn five_member_processes_run_the_ceremony_and_one_restarts_from_its_database() {
    let tmp = TempDir::new("committee-processes");
    let keys = tmp.0.join("keys");
    let data = tmp.0.join("data");
    std::fs::create_dir_all(&data).unwrap();
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
    let start = |i: u8| MemberProcess::start(exe, &member_dir(i), DESIGN).unwrap();
    let handles: Vec<Handle> = (1..=5u8)
        .map(|i| Handle(Arc::new(Mutex::new(Some(start(i)))), Arc::default()))
        .collect();
    let roster_file = || {
        CommitteeRoster::parse(&std::fs::read(keys.join("public/committee-roster.json")).unwrap())
            .unwrap()
    };
    let refused = Arc::new(Mutex::new(None));
    let committee =
        Committee::start(roster_file(), DESIGN, links(&handles, &refused), &data).unwrap();
    // The relay altered one envelope it carried: refused, and blamed on the relay, not the dealer.
    let why = refused.lock().unwrap().clone().unwrap();
    assert!(why.contains("relay"), "{why}");

    // All five certified one key identity, accepted under the roster file a clinic holds.
    let roster = roster_file();
    let record = committee.record().clone();
    assert_eq!(record.signatures.len(), 5);
    certificate::check(
        &roster.epoch().unwrap(),
        &roster.verifying_keys().unwrap(),
        &record.key_id,
        &record.signatures,
    )
    .unwrap();
    let key_id = record.key_id;
    assert!(data.join(CEREMONY_FILE).exists());

    // Member 5 is killed; a new process on the same directory rebuilds its holdings from its database and
    // certifies the same key; it refuses a second ceremony in this epoch.
    handles[4].set(Some(start(5)));
    assert_eq!(handles[4].call(READY, &[]).unwrap(), [1]);
    assert_eq!(&handles[4].call(CERTIFY, &[]).unwrap()[..32], &key_id[..]);
    assert!(handles[4].call(COMMIT, &[]).is_err());

    // The relay restarted on the same data directory reloads the ceremony: same key, no second ceremony (a
    // second one would be refused by every member: AlreadyCommitted).
    drop(committee);
    let mut committee =
        Committee::start(roster_file(), DESIGN, links(&handles, &refused), &data).unwrap();
    assert_eq!(committee.record().key_id, key_id);

    // A round: three clinics (an aggregate of fewer is refused: one clinic alone would be decrypted), member 5
    // offline.
    handles[4].set(None);
    let (a, b) = committee.key().clone();
    let (subs, sum) =
        common::committee::big(move || common::committee::clinics(DESIGN, &a, &b, 1, 3));
    let out = committee.decrypt(1, &subs).unwrap();
    assert_eq!(
        &out.chunks[0][..],
        &sum[..],
        "bit-exact with member 5 offline"
    );
    assert_eq!(out.receipt_signers, [1, 2, 3, 4]);
    assert_eq!(out.present, [1, 2, 3, 4]);
    assert_eq!(out.refusals.len(), 1);
    assert_eq!(out.refusals[0].member, 5);
    assert!(out.exclusions.is_empty());
    // The same receipt request again (a lost reply): the kept receipt, bit for bit.
    let mut body = 1u64.to_le_bytes().to_vec();
    body.extend_from_slice(&encode_submissions(&subs));
    assert_eq!(
        handles[1].call(RECEIPT, &body).unwrap(),
        handles[1].call(RECEIPT, &body).unwrap()
    );

    // Round 2 with only members 1 and 2 online: too few key holders, nothing decrypted.
    handles[2].set(None);
    handles[3].set(None);
    let (a, b) = committee.key().clone();
    let (subs2, _) =
        common::committee::big(move || common::committee::clinics(DESIGN, &a, &b, 2, 3));
    match committee.decrypt(2, &subs2) {
        Err(RelayError::TooFewKeyHolders { refusals, .. }) => {
            let who: Vec<u8> = refusals.iter().map(|r| r.member).collect();
            assert_eq!(who, [3, 4, 5]);
        }
        other => panic!("expected too few key holders, got {other:?}"),
    }
    // And a member shown two receipts answers nothing (its own check, not only the relay's).
    let mut body2 = 2u64.to_le_bytes().to_vec();
    body2.extend_from_slice(&encode_submissions(&subs2));
    let receipts2: Vec<Vec<u8>> = handles[..2]
        .iter()
        .map(|m| m.call(RECEIPT, &body2).unwrap())
        .collect();
    let (a, b) = committee.key().clone();
    let record = committee.record().clone();
    let p2 = on_big_stack(|| {
        let mut agg = Combination::new(&roster, DESIGN, a, b).unwrap();
        for m in &record.messages {
            agg.observe(m).unwrap();
        }
        assert!(
            agg.present(2, &subs2, 0b11).is_err(),
            "no present set below t"
        );
        agg.present(2, &subs2, 0b111).unwrap()
    });
    let why = handles[0]
        .call(ANSWER, &encode_answer(2, &p2, &receipts2, &subs2))
        .unwrap_err();
    assert!(why.contains("receipt"), "{why}");

    // Round 3, members 3 and 4 back: member 3 signs its receipt but its answer request is lost after P was
    // announced. The others of P have answered P (and answer no other), so the attempt fails without a result
    // and without blaming member 3; the retry announces the same present set, members 1, 2 and 4 resend their
    // stored answers, member 3 answers now, and the round is bit-exact.
    handles[2].set(Some(start(3)));
    handles[3].set(Some(start(4)));
    let (a, b) = committee.key().clone();
    let (subs3, sum3) =
        common::committee::big(move || common::committee::clinics(DESIGN, &a, &b, 3, 3));
    handles[2].1.store(1, Ordering::SeqCst);
    match committee.decrypt(3, &subs3) {
        Err(RelayError::Committee(e)) => assert!(e.to_string().contains("member 3"), "{e}"),
        other => panic!("expected a retryable failure, got {other:?}"),
    }
    let again = committee.decrypt(3, &subs3).unwrap();
    assert_eq!(&again.chunks[0][..], &sum3[..], "bit-exact on the retry");
    assert_eq!(again.present, [1, 2, 3, 4]);
    assert!(again.exclusions.is_empty(), "{:?}", again.exclusions);
}
