//! A committee member on its own host: `zkfl keyholder --committee --listen 127.0.0.1:0` serves the member over
//! HTTP (`committee::process::http`), and the relay reaches it through `committee::link::connect("http://…")`
//! (docs/THRESHOLD.md §16.6). Five real member processes run the whole key ceremony over HTTP (signed commitments
//! and reveals, sealed dealt parts), all five certify one key that `certificate::check` accepts under the roster
//! file, a member killed and restarted on another port rebuilds its holdings from its database, and a round with
//! three clinics' real set-L ciphertexts and norm proofs decrypts bit-exact with member 5 offline (its link
//! refuses: connection refused). A request body one byte over `request_limit` is refused with 413 and never
//! reaches the member; one of exactly the limit does (and is refused by the member as an unknown op). Only the
//! aggregator may ask: a receipt request unsigned, signed by another key, signed for another member, or with one
//! body byte changed is refused (401/403) and the member's receipt ledger stays empty; the same request signed
//! by the aggregator's key is answered and recorded.

mod common;

use common::{TempDir, zkfl};
use zkfl_aggregator::committee::CommitteeError;
use zkfl_aggregator::committee::link::{MemberLink, connect};
use zkfl_aggregator::committee::member::{Combination, Design};
use zkfl_aggregator::committee::process::auth::{RequestSigner, SIGNATURE_HEADER};
use zkfl_aggregator::committee::process::http::{ListeningMember, PATH, request_limit};
use zkfl_aggregator::committee::process::{
    ACCEPT, ACCEPT_SEALED, ANSWER, CERTIFY, COMMIT, DEAL, KEY, READY, RECEIPT, REVEAL, decode_key,
    encode_answer, encode_submissions,
};
use zkfl_aggregator::committee::relay::{Committee, RelayError};
use zkfl_aggregator::committee::roster::CommitteeRoster;
use zkfl_core::channel::SigningKey;
use zkfl_core::channel::identity::Signature;
use zkfl_core::threshold::certificate::{self, KeySignature};

const DESIGN: Design = Design {
    clinics: 4,
    b_int: 1 << 16,
    chunks: 1,
};

/// The link to member `i` at `m`, signing with the aggregator's key.
fn link(m: &ListeningMember, signer: &RequestSigner, i: u8) -> Box<dyn MemberLink> {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_zkfl"));
    connect(m.url(), exe, DESIGN, signer, i)
        .unwrap()
        .expect("an http spec is a link")
}

/// The aggregator's request signer, from the key directory `zkfl keygen` wrote.
fn aggregator_signer(keys: &std::path::Path, roster: &CommitteeRoster) -> RequestSigner {
    let seed: [u8; 32] = std::fs::read(keys.join("aggregator/sign-seed.bin"))
        .unwrap()
        .try_into()
        .unwrap();
    RequestSigner::new(SigningKey::from_seed(&seed), roster).unwrap()
}

/// Receipts member `dir` has issued (its ledger, `receipts` in its database).
fn receipts_issued(dir: &std::path::Path) -> i64 {
    let db = rusqlite::Connection::open_with_flags(
        dir.join("member.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.query_row("SELECT COUNT(*) FROM receipts", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn five_members_over_http_run_the_ceremony_and_a_round_and_refuse_an_oversized_body() {
    let tmp = TempDir::new("committee-http");
    let keys = tmp.0.join("keys");
    let out = zkfl()
        .args(["keygen", "--param-set", "L", "--clinics", "3"])
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
    let start = |i: u8| ListeningMember::start(exe, &member_dir(i), DESIGN, &[]).unwrap();
    let mut procs: Vec<ListeningMember> = (1..=5u8).map(start).collect();
    assert!(
        procs
            .iter()
            .all(|m| m.url().starts_with("http://127.0.0.1:"))
    );
    let roster =
        CommitteeRoster::parse(&std::fs::read(keys.join("public/committee-roster.json")).unwrap())
            .unwrap();
    let signer = aggregator_signer(&keys, &roster);
    let mut members: Vec<Box<dyn MemberLink>> = procs
        .iter()
        .zip(1u8..)
        .map(|(m, i)| link(m, &signer, i))
        .collect();

    // The body limit: one byte over is refused by the listener (413), exactly the limit reaches the member.
    let limit = request_limit(&roster, DESIGN).unwrap();
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    // `request` (op ‖ body) to member 1, with the signature header `sig` if any.
    let url1 = format!("{}{PATH}", procs[0].url());
    let send = |request: &[u8], sig: Option<&str>| {
        let mut req = agent.post(&url1);
        if let Some(sig) = sig {
            req = req.header(SIGNATURE_HEADER, sig);
        }
        let resp = req.send(request).unwrap();
        let status = resp.status().as_u16();
        (status, resp.into_body().read_to_vec().unwrap())
    };
    let post = |len: usize| {
        let mut body = vec![0u8; len];
        body[0] = 200;
        let sig = signer.sign(1, 200, &body[1..]).unwrap();
        send(&body, Some(&sig))
    };
    let (status, _) = post(limit + 1);
    assert_eq!(status, 413, "a body over the limit is refused");
    let (status, reply) = post(limit);
    assert_eq!(status, 200);
    assert_eq!(reply[0], 1, "the member refuses the unknown op");
    assert!(String::from_utf8_lossy(&reply[1..]).contains("unknown op 200"));

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
    assert!(reveals.iter().all(|r| r.len() < limit));
    for m in &mut members {
        for r in &reveals {
            m.call(ACCEPT, r).unwrap();
        }
    }
    for d in 0..5 {
        for h in 0..5u8 {
            let sealed = members[d].call(DEAL, &[h + 1]).unwrap();
            members[usize::from(h)]
                .call(ACCEPT_SEALED, &sealed)
                .unwrap();
        }
    }
    for m in &mut members {
        assert_eq!(m.call(READY, &[]).unwrap(), [1]);
    }
    let certify = |m: &mut Box<dyn MemberLink>, i: u8| {
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

    // Member 5 killed and restarted (another port): holdings rebuilt from its database, the same key.
    drop(procs.pop());
    assert!(
        members[4].call(READY, &[]).is_err(),
        "a member that is gone is offline"
    );
    procs.push(start(5));
    members[4] = link(&procs[4], &signer, 5);
    assert_eq!(members[4].call(READY, &[]).unwrap(), [1]);
    assert_eq!(certify(&mut members[4], 5).0, key_id);

    // A round with member 5 offline (killed for good): receipts of 1–4, answers of 1–3, bit-exact.
    drop(procs.pop());
    let (a, b) = decode_key(&members[0].call(KEY, &[]).unwrap()).unwrap();
    for m in &mut members[..4] {
        assert_eq!(decode_key(&m.call(KEY, &[]).unwrap()).unwrap().1, b);
    }
    let (subs, sum) = common::committee::big({
        let (a, b) = (a.clone(), b.clone());
        move || common::committee::clinics(DESIGN, &a, &b, 1, 3)
    });
    let mut body = 1u64.to_le_bytes().to_vec();
    body.extend_from_slice(&encode_submissions(&subs));

    // Only the aggregator may ask member 1 for its round-1 receipt: each forgery is refused before the member
    // sees it, and its ledger stays empty.
    let mut request = vec![RECEIPT];
    request.extend_from_slice(&body);
    let stranger = RequestSigner::new(SigningKey::from_seed(&[0x5a; 32]), &roster).unwrap();
    let mut changed = request.clone();
    *changed.last_mut().unwrap() ^= 1;
    let genuine = signer.sign(1, RECEIPT, &body).unwrap();
    let forgeries: [(&str, &[u8], Option<String>, u16); 4] = [
        ("unsigned", &request, None, 401),
        (
            "another key",
            &request,
            Some(stranger.sign(1, RECEIPT, &body).unwrap()),
            403,
        ),
        (
            "signed for member 2",
            &request,
            Some(signer.sign(2, RECEIPT, &body).unwrap()),
            403,
        ),
        (
            "one body byte changed",
            &changed,
            Some(genuine.clone()),
            403,
        ),
    ];
    for (what, req, sig, expected) in forgeries {
        let (status, reply) = send(req, sig.as_deref());
        assert_eq!(
            status,
            expected,
            "{what}: {}",
            String::from_utf8_lossy(&reply)
        );
        assert_eq!(receipts_issued(&member_dir(1)), 0, "{what} spent nothing");
    }
    // Positive control: the same request with the aggregator's signature is answered and recorded.
    let (status, reply) = send(&request, Some(&genuine));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
    assert_eq!(reply[0], 0, "{}", String::from_utf8_lossy(&reply[1..]));
    assert!(receipts_issued(&member_dir(1)) > 0);

    let receipts: Vec<Vec<u8>> = members[..4]
        .iter_mut()
        .map(|m| m.call(RECEIPT, &body).unwrap())
        .collect();
    assert!(members[4].call(RECEIPT, &body).is_err(), "member 5 offline");
    let mut agg = Combination::new(&roster, DESIGN, a, b).unwrap();
    let public: Vec<Vec<u8>> = commits.iter().chain(&reveals).cloned().collect();
    let present = 0b111;
    let (p, agg) = common::committee::big({
        let subs = subs.clone();
        move || {
            for m in &public {
                agg.observe(m).unwrap();
            }
            (agg.present(1, &subs, present).unwrap(), agg)
        }
    });
    let answer = encode_answer(1, &p, &receipts, &subs);
    let shares: Vec<(u8, Vec<u8>)> = (0..3)
        .map(|i| (i as u8 + 1, members[i].call(ANSWER, &answer).unwrap()))
        .collect();
    let out = common::committee::big(move || agg.combine(1, &subs, present, &shares).unwrap());
    assert_eq!(&out[0][..], &sum[..], "bit-exact with member 5 offline");
}

/// The demo's committee without `zkfl serve`: five members over HTTP, member 2 started with
/// `--demo-cheat-share`, the aggregator's relay (`committee::relay::Committee`) runs the ceremony through their
/// HTTP links; then member 5 goes offline and a round is decrypted: member 2's wrong share fails its share
/// proof and it is excluded (chunk 0), member 5 is reported offline, and the helpers' supplementary answers
/// make the aggregate bit-exact. Without the flag (control) the same round excludes nobody. Member 1 cheating
/// (the lowest of P = [1, 2, 3, 4], whose repair needs 2t = 6 share sets) is excluded and repaired where the
/// design's noise budget covers six share sets, or refused as `TooManyShareSets` naming it (the round lost,
/// nothing published); either way the next round leaves it out (review 19, R19-2). The rounds carry K =
/// `DESIGN.clinics` submissions, the most a request may carry, so the supplement requests (which also carry the
/// excluded member's signed answer as evidence) are the largest the design allows: they must fit the body limit.
#[test]
fn a_cheating_member_over_http_is_excluded_and_the_round_is_bit_exact() {
    let tmp = TempDir::new("committee-http-cheat");
    let keys = tmp.0.join("keys");
    let out = zkfl()
        .args(["keygen", "--param-set", "L", "--clinics", "3"])
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
    let roster =
        CommitteeRoster::parse(&std::fs::read(keys.join("public/committee-roster.json")).unwrap())
            .unwrap();
    let run = |cheater: u8, round: u64, data: &std::path::Path| {
        // Each run is its own scenario: the relay's memory of members (`committee-relay.json`, durable across
        // restarts) would otherwise carry run 2's distrust of member 2 into run 4, whose P = {1, 3, 4} has no
        // spare (two members distrusted in one epoch is beyond the bound of one malicious member).
        let _ = std::fs::remove_file(data.join("committee-relay.json"));
        let mut procs: Vec<ListeningMember> = (1..=5u8)
            .map(|i| {
                let extra: &[&str] = if i == cheater {
                    &["--demo-cheat-share"]
                } else {
                    &[]
                };
                ListeningMember::start(
                    exe,
                    &keys.join("members").join(i.to_string()),
                    DESIGN,
                    extra,
                )
                .unwrap()
            })
            .collect();
        let signer = aggregator_signer(&keys, &roster);
        let links = procs
            .iter()
            .zip(1u8..)
            .map(|(m, i)| Some(link(m, &signer, i)))
            .collect();
        let mut committee = Committee::start(roster.clone(), DESIGN, links, data).unwrap();
        drop(procs.pop());
        let (a, b) = committee.key().clone();
        let (subs, sum) = common::committee::big(move || {
            common::committee::clinics(DESIGN, &a, &b, round, u64::from(DESIGN.clinics))
        });
        let d = committee.decrypt(round, &subs);
        let d = match d {
            // The lowest member of P cheated and its repair needs 2t = 6 share sets: over this design's
            // `max_share_sets` the round is lost and the refusal names it; within it, the helpers repair it.
            Err(RelayError::Committee(CommitteeError::TooManyShareSets { excluded, .. }))
                if cheater == 1 =>
            {
                assert_eq!(excluded.iter().map(|e| e.member).collect::<Vec<_>>(), [1]);
                None
            }
            d => {
                let d = d.unwrap_or_else(|e| panic!("round {round}: {e}"));
                assert_eq!(&d.chunks[0][..], &sum[..], "bit-exact");
                assert!(d.refusals.iter().any(|r| r.member == 5), "{:?}", d.refusals);
                assert!(!d.present.contains(&5));
                Some(d)
            }
        };
        if cheater != 0 {
            // The next aggregate's present set leaves the cheater out: nobody is excluded again.
            let (a, b) = committee.key().clone();
            let (subs, sum) = common::committee::big(move || {
                common::committee::clinics(DESIGN, &a, &b, round + 1, u64::from(DESIGN.clinics))
            });
            let next = committee.decrypt(round + 1, &subs).unwrap();
            assert_eq!(&next.chunks[0][..], &sum[..], "bit-exact");
            let others: Vec<u8> = [1, 2, 3, 4].into_iter().filter(|&m| m != cheater).collect();
            assert_eq!(next.present, others);
            assert!(next.exclusions.is_empty(), "{:?}", next.exclusions);
        }
        d
    };
    // The ceremony runs once (kept in the data directory); every run uses its key.
    let data = tmp.0.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let honest = run(0, 1, &data).unwrap();
    assert!(honest.exclusions.is_empty(), "{:?}", honest.exclusions);
    let cheated = run(2, 2, &data).unwrap();
    assert_eq!(cheated.exclusions.len(), 1, "{:?}", cheated.exclusions);
    let ex = &cheated.exclusions[0];
    assert_eq!((ex.member, ex.supplement_for, ex.chunk), (2, 0, Some(0)));
    assert!(!cheated.supplements.is_empty());
    // Member 1 cheating: round 4 repaired or refused (both name it), round 5 decrypts with P = [2, 3, 4].
    if let Some(d) = run(1, 4, &data) {
        let ex: Vec<u8> = d.exclusions.iter().map(|e| e.member).collect();
        assert_eq!(ex, [1]);
    }
}
