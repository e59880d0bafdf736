//! Five committee members as five real `zkfl keyholder --committee` processes (docs/THRESHOLD.md §16), set up by
//! `zkfl keygen --committee 5 --threshold 3`, with this test as the relaying aggregator: the key ceremony through
//! their pipes (signed commitments and reveals, dealt parts sealed to each holder's roster KEM key), all five
//! certify one committee key that `certificate::check` accepts under the roster file, a relayed envelope the
//! relay altered is refused as the relay's fault, and member 5 killed and restarted rebuilds its holdings from its
//! own database. Rounds through the processes are not served yet (§16.5).

mod common;

use common::{TempDir, zkfl};
use zkfl_aggregator::committee::member::Design;
use zkfl_aggregator::committee::process::{
    ACCEPT, ACCEPT_SEALED, CERTIFY, COMMIT, DEAL, MemberProcess, READY, REVEAL,
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
}
