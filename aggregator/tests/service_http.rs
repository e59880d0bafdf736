//! End-to-end tests through a real `zkfl serve` process: typed JSON errors for bad input, signed round
//! announcements, admin round control, restart safety and graceful shutdown.

mod common;

use std::time::Duration;

use common::{Server, TempDir, keygen};
use zkfl_aggregator::client::ClientError;
use zkfl_aggregator::coordinator::OpenRound;
use zkfl_aggregator::error::Code;
use zkfl_aggregator::round::RoundId;

fn api_code(r: Result<impl core::fmt::Debug, ClientError>) -> (u16, Code) {
    match r {
        Err(ClientError::Api { status, error }) => (status, error.code),
        other => panic!("expected a typed API error, got {other:?}"),
    }
}

fn started(tag: &str, extra: &[&str]) -> (TempDir, Server) {
    let dir = TempDir::new(tag);
    keygen(&dir.0, 3);
    let server = Server::start(&dir.0, extra);
    (dir, server)
}

#[test]
fn public_endpoints_serve_keys_params_and_a_signed_round() {
    let (dir, server) = started("public", &["--open-round"]);
    let c = server.client();
    assert_eq!(
        c.health().expect("health")["decryption_mode"],
        "single-decryptor"
    );
    let params = c.params().expect("params");
    assert_eq!(
        (params["param_set"].as_str(), params["roster_size"].as_u64()),
        (Some("S"), Some(3))
    );
    assert_eq!(c.kem_key().expect("kem").len(), 1184);
    let pinned = std::fs::read(dir.0.join("keys/clinics/1/aggregator-vk.bin")).expect("pinned key");
    assert_eq!(c.aggregator_key().expect("vk"), pinned);
    assert_eq!(
        c.roster().expect("roster")["clinics"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let round = c.current_round().expect("round");
    let a = round
        .verify(&pinned)
        .expect("announcement verifies under the pinned key");
    assert_eq!(
        (a.round, a.model_dim, a.norm_bound, a.scale),
        (RoundId(1), 4, 5.0, 512.0)
    );
    assert_eq!(
        c.model(RoundId(1)).expect("model"),
        vec![0.5, -1.0, 2.0, 0.0]
    );
    // A different key must not verify it.
    let other = std::fs::read(dir.0.join("keys/clinics/1/sign-vk.bin")).expect("clinic vk");
    assert!(round.verify(&other).is_err());
}

#[test]
fn bad_requests_get_typed_json_errors() {
    let (_dir, server) = started("errors", &["--open-round", "--max-body-bytes", "4096"]);
    let c = server.client();
    // Oversized body (declared length over the round's limit: set S, one chunk, at most 83,926 bytes at B_max;
    // `policy::max_submission_len`), refused before the body is sent (Expect: 100-continue).
    use zkfl_core::params::{ParamSet, SetS};
    let limit = zkfl_core::policy::max_submission_len(SetS::ID, 1, SetS::B_INT_MAX).expect("limit");
    assert_eq!(
        api_code(c.submit(RoundId(1), &vec![0u8; limit + 1])),
        (413, Code::BodyTooLarge)
    );
    // Oversized body without a declared length (chunked): cut off while streaming.
    let (status, body) = chunked_post(&server.url, "/v1/rounds/1/submissions", 2 * limit);
    assert_eq!(status, 413, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .map(|v| v["code"].clone()),
        Some("body_too_large".into())
    );
    // Wrong round: ahead, behind, nonsense.
    assert_eq!(
        api_code(c.submit(RoundId(2), b"envelope")),
        (409, Code::WrongRound)
    );
    assert_eq!(
        api_code(c.submit(RoundId(0), b"envelope")),
        (409, Code::WrongRound)
    );
    assert_eq!(
        api_code(c.get_bytes("/v1/rounds/abc")),
        (400, Code::MalformedRequest)
    );
    assert_eq!(api_code(c.get_bytes("/v1/rounds/9")), (404, Code::NotFound));
    assert_eq!(api_code(c.get_bytes("/v2/anything")), (404, Code::NotFound));
    // Wrong media type.
    assert_eq!(
        api_code(c.post_bytes("/v1/rounds/1/submissions", "text/plain", b"x")),
        (415, Code::UnsupportedMediaType)
    );
    // Garbage: never accepted; the pre-authentication rejection is counted, not attributed to a clinic.
    let (status, code) = api_code(c.submit(RoundId(1), b"\x00garbage that is no envelope"));
    assert_eq!((status, code), expected_garbage_rejection());
    let s = c.status(RoundId(1)).expect("status");
    assert_eq!((s.accepted, s.rejected, s.submissions.len()), (0, 0, 0));
    assert_eq!(s.unauthenticated_rejections, 1);
    // Admin: a second open round is refused.
    let again = c.admin_open_round(&OpenRound {
        norm_bound: 1.0,
        scale: 8.0,
        deadline_secs: 60,
        model_sha3: None,
        model: None,
    });
    assert_eq!(api_code(again), (409, Code::RoundAlreadyOpen));
    let bad = c.post_bytes("/v1/admin/rounds", "application/json", b"{not json");
    assert_eq!(api_code(bad), (400, Code::MalformedRequest));
}

/// POSTs `n` zero bytes with `Transfer-Encoding: chunked` over a raw socket; returns status and body.
fn chunked_post(url: &str, path: &str, n: usize) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).expect("head");
    for _ in 0..n / 1000 {
        // The server may answer and close before the whole body is sent.
        if s.write_all(format!("3e8\r\n{}\r\n", "\0".repeat(1000)).as_bytes())
            .is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    let status = resp.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

/// What a garbage body must get: `malformed_envelope` once the envelope decoder is wired, and until then the
/// explicit `check_unavailable` rejection (never an acceptance).
fn expected_garbage_rejection() -> (u16, Code) {
    if zkfl_aggregator::crypto::ENVELOPE_WIRED {
        (400, Code::MalformedEnvelope)
    } else {
        (422, Code::CheckUnavailable)
    }
}

#[test]
fn admin_close_fails_an_empty_round_and_the_next_round_reuses_the_model() {
    let (dir, server) = started("admin", &["--open-round"]);
    let c = server.client();
    let closing = c.admin_close_round(RoundId(1)).expect("close");
    // The round driver may already have moved it on by the time the status is rendered.
    assert!(
        ["closing", "failed"].contains(&closing.state.as_str()),
        "{}",
        closing.state
    );
    let failed = c
        .wait_for(RoundId(1), &["failed"], Duration::from_secs(10))
        .expect("failed");
    assert_eq!(
        failed.failure.as_ref().and_then(|f| f["code"].as_str()),
        Some("no_accepted_submissions")
    );
    assert_eq!(
        api_code(c.submit(RoundId(1), b"late")),
        (409, Code::RoundNotOpen)
    );
    // A bound the proof cannot carry (B_int above B_max = 2^12 of set S) is refused.
    let too_big = OpenRound {
        norm_bound: 5.0,
        scale: 1.0e6,
        deadline_secs: 60,
        model_sha3: None,
        model: None,
    };
    assert_eq!(
        api_code(c.admin_open_round(&too_big)),
        (422, Code::ParameterMismatch)
    );
    let r2 = c
        .admin_open_round(&OpenRound {
            norm_bound: 2.0,
            scale: 16.0,
            deadline_secs: 60,
            model_sha3: None,
            model: None,
        })
        .expect("open 2");
    let pinned = std::fs::read(dir.0.join("keys/public/aggregator-vk.bin")).expect("vk");
    let a2 = r2.verify(&pinned).expect("signed");
    assert_eq!((a2.round, a2.norm_bound, a2.scale), (RoundId(2), 2.0, 16.0));
    assert_eq!(
        c.model(RoundId(2)).expect("model 2"),
        c.model(RoundId(1)).expect("model 1")
    );
}

#[test]
fn state_survives_kill_9_and_restart() {
    let (dir, server) = started("restart", &["--open-round"]);
    let c = server.client();
    let before = c.current_round().expect("round");
    let _ = c.submit(RoundId(1), b"rejected before restart");
    // Unauthenticated rejections are counted in memory and written by the round driver every tick.
    std::thread::sleep(Duration::from_millis(800));
    let status_before = c.status(RoundId(1)).expect("status");
    assert_eq!(status_before.unauthenticated_rejections, 1);
    server.kill9();
    let server = Server::start(&dir.0, &["--open-round"]);
    let c = server.client();
    let after = c.current_round().expect("round after restart");
    // Same round, same signed announcement: a restart neither reopens nor re-signs.
    assert_eq!(
        (after.round, &after.announcement, &after.signature),
        (before.round, &before.announcement, &before.signature)
    );
    let status_after = c.status(RoundId(1)).expect("status");
    assert_eq!(
        status_after.unauthenticated_rejections,
        status_before.unauthenticated_rejections
    );
    assert_eq!(status_after.state, "open");
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let (_dir, server) = started("term", &[]);
    assert_eq!(
        api_code(server.client().current_round()),
        (404, Code::NoRound)
    );
    assert!(server.terminate(), "zkfl serve must exit 0 on SIGTERM");
}

#[test]
fn rounds_close_at_their_deadline_and_the_next_opens_until_the_round_limit() {
    let (_dir, server) = started(
        "rounds",
        &["--open-round", "--rounds", "2", "--deadline-secs", "1"],
    );
    let c = server.client();
    let first = c
        .wait_for(RoundId(1), &["failed"], Duration::from_secs(15))
        .expect("round 1 closes at its deadline");
    assert_eq!(
        first.failure.as_ref().and_then(|f| f["code"].as_str()),
        Some("no_accepted_submissions")
    );
    // Round 2 is opened by the driver right after round 1 fails; wait until it exists, then until it fails.
    let start = std::time::Instant::now();
    while c.status(RoundId(2)).is_err() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(100));
    }
    c.wait_for(RoundId(2), &["failed"], Duration::from_secs(15))
        .expect("round 2 opened and closed");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        c.current_round().expect("current").round,
        RoundId(2),
        "no round beyond --rounds"
    );
    assert_eq!(api_code(c.status(RoundId(3))), (404, Code::NotFound));
}
