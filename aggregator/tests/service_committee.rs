//! `zkfl serve` in threshold mode through real processes (docs/THRESHOLD.md §16): `zkfl keygen --committee 5
//! --threshold 3 --param-set L --clinics 3`; the first `zkfl serve` with all five members (`dir:` children) runs
//! the key ceremony and serves the committee key and its certificate; restarted with member 5 `off` it reloads
//! the ceremony (same key, no second ceremony); three clinics submit real set-L encryptions and norm proofs of a
//! one-chunk model; members 1–4 each verify every proof, sign receipts and answer; the round publishes the
//! plaintext mean bit for bit, reports `threshold 3-of-5` with its present set, receipt signers and member 5's
//! refusal, and each answering member's ledger holds the decryption. Restarted with only members 1 and 2 online,
//! the next round fails with `too_few_key_holders` and no member answered.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    Server, THREE_CLINICS, TempDir, announced, clinic, plaintext_mean, sealed_update, update,
    write_model, zkfl,
};
use serde_json::Value;
use zkfl_aggregator::client::{Client, ClientError};
use zkfl_aggregator::committee::relay::CEREMONY_FILE;
use zkfl_aggregator::coordinator::OpenRound;
use zkfl_aggregator::error::Code;
use zkfl_aggregator::round::{Announcement, RoundId};
use zkfl_core::params::{ParamSet, SetL};

/// A clinic's sealed submission of the integer update `m` under the served (committee) key.
fn submission(dir: &Path, c: &Client, clinic: u32, a: &Announcement, m: &[i64]) -> Vec<u8> {
    let served = c.bfv_key().expect("served committee key");
    let seed = u64::from(clinic) + 100 * a.round.0;
    sealed_update(dir, clinic, a, &served, m, seed, 1)
}

/// `--member` arguments: members in `online` as `dir:` children, the others `off`.
fn members(keys: &Path, online: &[u8]) -> Vec<String> {
    (1..=5u8)
        .flat_map(|i| {
            let spec = if online.contains(&i) {
                format!("dir:{}", keys.join("members").join(i.to_string()).display())
            } else {
                "off".to_owned()
            };
            ["--member".to_owned(), spec]
        })
        .collect()
}

fn serve(dir: &Path, online: &[u8]) -> Server {
    let mut args: Vec<String> = ["--open-round", "--norm-bound", "5.0", "--scale", "512"]
        .map(str::to_owned)
        .to_vec();
    args.extend(members(&dir.join("keys"), online));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(dir, &refs)
}

/// Rows of `table` in member `i`'s database.
fn rows(dir: &Path, i: u8, table: &str) -> i64 {
    let db = dir.join(format!("keys/members/{i}/member.sqlite"));
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("member database");
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

fn submit_all(dir: &Path, c: &Client, updates: &[Vec<i64>]) {
    let a = announced(c, dir);
    for (i, m) in updates.iter().enumerate() {
        let id = i as u32 + 1;
        c.submit(a.round, &submission(dir, c, id, &a, m))
            .expect("accepted");
    }
}

/// `zkfl clinic submit` of `update` with the clinic directory `keys`.
fn clinic_submit(keys: &Path, url: &str, update: &Path) -> std::process::Output {
    clinic(keys, url, &["submit", "--update", update.to_str().unwrap()])
        .output()
        .expect("zkfl clinic")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

/// The clinic's certificate check on the served committee key: accepted as served; refused with one
/// signature altered, with one member's signature missing, with two members' signatures swapped, for a key
/// with one coefficient changed, and for a round with another B_int.
fn certificate_checks(dir: &Path, c: &Client) {
    use zkfl_aggregator::clinic::check_committee_key;
    let a = announced(c, dir);
    let roster = std::fs::read(dir.join("keys/clinics/1/committee-roster.json")).expect("roster");
    let served = c.bfv_key().expect("key");
    let committee = c.committee_key().expect("committee");
    check_committee_key(&roster, &served, &a, &committee).expect("the served key is certified");
    let refused = |key: &[u8], a: &Announcement, committee: &Value| {
        let e = check_committee_key(&roster, key, a, committee).expect_err("refused");
        assert!(e.contains("committee key is refused"), "{e}");
    };
    let mut altered = committee.clone();
    let sig = altered["certificate"][2]["signature"]
        .as_str()
        .unwrap()
        .to_owned();
    let flipped = format!("{}{}", if &sig[..1] == "0" { "1" } else { "0" }, &sig[1..]);
    altered["certificate"][2]["signature"] = Value::from(flipped);
    refused(&served, &a, &altered);
    let mut missing = committee.clone();
    missing["certificate"].as_array_mut().unwrap().pop();
    refused(&served, &a, &missing);
    let mut swapped = committee.clone();
    let list = swapped["certificate"].as_array_mut().unwrap();
    let (m0, m1) = (list[0]["member"].clone(), list[1]["member"].clone());
    list[0]["member"] = m1;
    list[1]["member"] = m0;
    refused(&served, &a, &swapped);
    let mut other_key = served.clone();
    let at = other_key.len() - 7;
    other_key[at] ^= 1;
    refused(&other_key, &a, &committee);
    let mut other_round = a.clone();
    other_round.b_int += 1;
    refused(&served, &other_round, &committee);
}

#[test]
fn zkfl_serve_decrypts_with_a_three_of_five_committee() {
    let started = Instant::now();
    let dir = TempDir::new("service-committee");
    let out = zkfl()
        .args(["keygen", "--param-set", "L", "--clinics", "3"])
        .args(["--committee", "5", "--threshold", "3", "--out"])
        .arg(dir.0.join("keys"))
        .output()
        .expect("keygen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    write_model(&dir.0, &[0.5, -1.0, 2.0, 0.0]);

    // First start: all five members run the ceremony; round 1 opens and stays open across the restart below.
    let server = serve(&dir.0, &[1, 2, 3, 4, 5]);
    let c = server.client();
    let params = c.params().expect("params");
    assert_eq!(params["decryption_mode"], "threshold 3-of-5");
    let committee = c.committee_key().expect("committee key");
    let key = c.bfv_key().expect("committee key (BFV wire format)");
    assert_eq!(committee["certificate"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        committee["bfv_public_key_sha3"],
        Value::from(hex::encode(zkfl_aggregator::coordinator::sha3(&key)))
    );
    let record = std::fs::read(dir.0.join(CEREMONY_FILE)).expect("ceremony kept");
    let ceremony_s = started.elapsed().as_secs_f64();
    assert!(server.terminate(), "graceful stop");

    // Restarted with member 5 offline: the same key and certificate, the ceremony file untouched (a second
    // ceremony would also be refused by every member: AlreadyCommitted).
    let server = serve(&dir.0, &[1, 2, 3, 4]);
    let c = server.client();
    assert_eq!(
        c.bfv_key().expect("key"),
        key,
        "same committee key after a restart"
    );
    assert_eq!(c.committee_key().expect("committee"), committee);
    assert_eq!(
        std::fs::read(dir.0.join(CEREMONY_FILE)).expect("kept"),
        record
    );
    assert!((1..=5).all(|i| rows(&dir.0, i, "replies") == 0));

    let updates = THREE_CLINICS.map(|v| update(v, SetL::N));
    let round_started = Instant::now();
    certificate_checks(&dir.0, &c);
    // Clinics 1 and 2 through the library, clinic 3 as `zkfl clinic submit` (which checks the certificate
    // under its own roster copy before encrypting); a clinic whose roster copy differs refuses the key.
    let a = announced(&c, &dir.0);
    for (i, m) in updates.iter().take(2).enumerate() {
        let id = i as u32 + 1;
        c.submit(a.round, &submission(&dir.0, &c, id, &a, m))
            .expect("accepted");
    }
    let f32_update = dir.0.join("update3.f32");
    std::fs::write(
        &f32_update,
        zkfl_aggregator::model::encode(&[-1.0, 0.5, 1.0, 0.0]),
    )
    .expect("update");
    let swapped = dir.0.join("clinic3-swapped");
    copy_dir(&dir.0.join("keys/clinics/3"), &swapped);
    let mut roster: Value = serde_json::from_slice(
        &std::fs::read(swapped.join("committee-roster.json")).expect("roster copy"),
    )
    .expect("json");
    let keys = roster["keys"].as_array_mut().expect("keys");
    keys.swap(3, 4);
    std::fs::write(
        swapped.join("committee-roster.json"),
        serde_json::to_vec(&roster).expect("json"),
    )
    .expect("write");
    let refused = clinic_submit(&swapped, &server.url, &f32_update);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("committee key is refused"), "{err}");
    let out = clinic_submit(&dir.0.join("keys/clinics/3"), &server.url, &f32_update);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("certified by all members"), "{err}");
    let done = c
        .wait_for_end(RoundId(1), Duration::from_secs(120))
        .expect("round finishes");
    let round_s = round_started.elapsed().as_secs_f64();
    assert_eq!(done.state, "published", "{:?}", done.failure);
    assert_eq!(done.decryption_mode.as_deref(), Some("threshold 3-of-5"));
    let d = done.decryption.expect("decryption report");
    assert_eq!(d["present"], serde_json::json!([1, 2, 3, 4]));
    assert_eq!(d["receipt_signers"], serde_json::json!([1, 2, 3, 4]));
    assert_eq!(d["refusals"][0]["member"], 5);
    assert_eq!(d["refusals"].as_array().map(Vec::len), Some(1));
    assert_eq!(d["exclusions"], serde_json::json!([]));
    let receipts = d["receipts"].as_array().expect("receipts published");
    assert_eq!(receipts.len(), 4);
    assert!(
        receipts
            .iter()
            .all(|r| r["receipt"].as_str().is_some_and(|h| h.len() > 6000))
    );
    let mean = c.update(RoundId(1)).expect("update");
    assert_eq!(
        &mean[..4],
        &plaintext_mean(&THREE_CLINICS)[..],
        "the published mean is the plaintext mean, bit for bit"
    );
    // A round whose B_int is not the committee's design is refused (the key and share proofs are fixed to it).
    let other = c.admin_open_round(&OpenRound {
        norm_bound: 1.0,
        scale: 512.0,
        deadline_secs: 600,
        model_sha3: None,
        model: None,
    });
    assert!(
        matches!(other, Err(ClientError::Api { ref error, .. }) if error.code == Code::ParameterMismatch && error.message.contains("committee's key is fixed")),
        "{other:?}"
    );
    assert!(server.terminate(), "graceful stop");
    // Every answering member's ledger holds the decryption (its spent markers and its stored answer).
    for i in 1..=4 {
        assert_eq!(rows(&dir.0, i, "replies"), 1, "member {i} answered once");
        assert!(
            rows(&dir.0, i, "spent") > 0,
            "member {i} spent the aggregate"
        );
    }
    assert_eq!(rows(&dir.0, 5, "replies"), 0);

    // Only members 1 and 2 online: round 2 fails with too_few_key_holders before any member answers.
    let server = serve(&dir.0, &[1, 2]);
    let c = server.client();
    submit_all(&dir.0, &c, &updates);
    let failed = c
        .wait_for_end(RoundId(2), Duration::from_secs(120))
        .expect("round finishes");
    assert_eq!(failed.state, "failed");
    let failure = failed.failure.expect("failure");
    assert_eq!(failure["code"], "too_few_key_holders", "{failure}");
    let refusals = &failed.decryption.expect("refusals published")["refusals"];
    let who: Vec<u64> = refusals
        .as_array()
        .expect("refusals")
        .iter()
        .filter_map(|r| r["member"].as_u64())
        .collect();
    assert_eq!(who, [3, 4, 5]);
    assert!(c.update(RoundId(2)).is_err(), "nothing published");
    assert!(server.terminate(), "graceful stop");
    for i in 1..=2 {
        assert_eq!(
            rows(&dir.0, i, "replies"),
            1,
            "member {i} answered nothing in round 2"
        );
    }
    eprintln!(
        "service_committee: ceremony start {ceremony_s:.1} s, round 1 (3 clinics' proofs, 4 members) \
         {round_s:.1} s, total {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
