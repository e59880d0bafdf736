//! Hostile-load and operator-fault findings through a real `zkfl serve` on loopback, one test per finding
//! (docs/SERVICE.md "Limits and timeouts", "Admin access", "Key holder"): slow and idle connections are
//! closed, bodies are refused before they are read, admin requests need the token and no browser origin,
//! odd ids are 404, two services cannot share a data directory, SIGTERM does not wait for idle connections,
//! and a killed key holder is reported and restarted.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Server, TempDir, keygen, zkfl};

fn started(tag: &str, extra: &[&str]) -> (TempDir, Server) {
    let dir = TempDir::new(tag);
    keygen(&dir.0, 3);
    let server = Server::start(&dir.0, extra);
    (dir, server)
}

fn addr(server: &Server) -> String {
    server.url.trim_start_matches("http://").to_owned()
}

fn connect(server: &Server) -> TcpStream {
    let s = TcpStream::connect(addr(server)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    s
}

/// Sends raw bytes and reads until the server closes or `Connection: close` is honoured; returns the
/// status code and the whole response text.
fn raw(server: &Server, request: &str) -> (u16, String) {
    let mut s = connect(server);
    s.write_all(request.as_bytes()).expect("write");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// Seconds until the server closes a connection that sent `prefix` (reads return 0 or fail).
fn seconds_until_closed(server: &Server, prefix: &[u8]) -> f64 {
    let mut s = connect(server);
    s.write_all(prefix).expect("write");
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return start.elapsed().as_secs_f64(),
            Ok(_) => {}
        }
    }
}

fn token(dir: &TempDir) -> String {
    std::fs::read_to_string(dir.0.join("keys/aggregator/admin-token"))
        .expect("admin token")
        .trim()
        .to_owned()
}

#[test]
fn idle_half_sent_and_trickled_connections_are_closed_by_the_timeouts() {
    let (_dir, server) = started(
        "slow",
        &[
            "--open-round",
            "--header-timeout-secs",
            "2",
            "--body-timeout-secs",
            "2",
        ],
    );
    let idle = seconds_until_closed(&server, b"");
    let half_header = seconds_until_closed(&server, b"GET /v1/health HTTP/1.1\r\nHost: x\r\n");
    // To the open round (a submission to no open round is refused before its body is read) and within
    // its body limit.
    let trickled = seconds_until_closed(
        &server,
        b"POST /v1/rounds/1/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n\
          Content-Length: 50000\r\n\r\nonly a few bytes",
    );
    // A keep-alive connection that finished a request and then idles is closed too.
    let keep_alive = seconds_until_closed(&server, b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
    for (what, secs) in [
        ("idle", idle),
        ("half header", half_header),
        ("trickled body", trickled),
        ("idle keep-alive", keep_alive),
    ] {
        assert!(
            (1.0..8.0).contains(&secs),
            "{what} closed after {secs:.1} s"
        );
    }
}

#[test]
fn at_the_connection_cap_idle_connections_make_room_for_health() {
    let (_dir, server) = started("cap", &["--max-connections", "40"]);
    let idle: Vec<TcpStream> = (0..120).map(|_| connect(&server)).collect();
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = connect(&server);
        let _ = s.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n");
        slow.push(s);
    }
    for _ in 0..20 {
        let start = Instant::now();
        let (status, text) = raw(
            &server,
            "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(status, 200, "{text}");
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }
    drop((idle, slow));
}

#[test]
fn an_oversized_body_is_refused_from_its_declared_length_before_any_byte_is_read() {
    let (_dir, server) = started("big", &["--open-round", "--max-body-bytes", "1000"]);
    let start = Instant::now();
    let (status, text) = raw(
        &server,
        "POST /v1/rounds/1/submissions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 400000000\r\n\r\n",
    );
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("body_too_large"));
    assert!(start.elapsed() < Duration::from_secs(5));
    // A chunked body without a length is cut at the limit while streaming (the round's limit: set S, one
    // chunk, 83,926 bytes at most; this body is 98,304).
    let chunk = "x".repeat(0x2000);
    let (status, text) = raw(
        &server,
        &format!(
            "POST /v1/rounds/1/submissions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n\
             {}0\r\n\r\n",
            format!("2000\r\n{chunk}\r\n").repeat(12)
        ),
    );
    assert_eq!(status, 413, "{text}");
}

#[test]
fn the_content_type_is_matched_case_insensitively() {
    let (_dir, server) = started("ctype", &["--open-round"]);
    let (status, text) = raw(
        &server,
        "POST /v1/rounds/1/submissions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: Application/Octet-Stream; charset=binary\r\nContent-Length: 5\r\n\r\nhello",
    );
    // Past the media-type check: the five bytes are not an envelope.
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("malformed_envelope"), "{text}");
    let (status, _) = raw(
        &server,
        "POST /v1/rounds/1/submissions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/octet-streamx\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!(status, 415);
}

#[test]
fn admin_requests_need_the_token_json_no_origin_and_a_loopback_host() {
    let (dir, server) = started("admin", &["--open-round"]);
    let t = token(&dir);
    let mode = {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(dir.0.join("keys/aggregator/admin-token"))
            .expect("meta")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode, 0o600);
    let close = |headers: &str, body: &str| {
        raw(
            &server,
            &format!(
                "POST /v1/admin/rounds/1/close HTTP/1.1\r\nConnection: close\r\n{headers}\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let auth = format!("Authorization: Bearer {t}\r\n");
    // The cross-site attack of the finding: text/plain from a foreign origin, no token.
    let (s, text) = close(
        "Host: 127.0.0.1\r\nOrigin: http://evil.example\r\nContent-Type: text/plain\r\n",
        "{}",
    );
    assert_eq!(s, 403, "{text}");
    assert!(text.contains("admin_forbidden"));
    // Even with the token: a browser origin, a foreign Host, or a non-JSON type is refused.
    let (s, _) = close(
        &format!(
            "Host: 127.0.0.1\r\nOrigin: http://evil.example\r\n{auth}Content-Type: application/json\r\n"
        ),
        "{}",
    );
    assert_eq!(s, 403);
    let (s, _) = close(
        &format!("Host: evil.example\r\n{auth}Content-Type: application/json\r\n"),
        "{}",
    );
    assert_eq!(s, 403);
    let (s, _) = close(
        &format!("Host: 127.0.0.1\r\n{auth}Content-Type: text/plain\r\n"),
        "{}",
    );
    assert_eq!(s, 415);
    // A huge admin body is refused without being read: 403 without the token, 413 with it.
    let start = Instant::now();
    let (s, _) = raw(
        &server,
        "POST /v1/admin/rounds HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: 400000000\r\n\r\n",
    );
    assert_eq!(s, 403);
    let (s, _) = raw(
        &server,
        &format!(
            "POST /v1/admin/rounds HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}\
             Content-Type: application/json\r\nContent-Length: 400000000\r\n\r\n"
        ),
    );
    assert_eq!(s, 413);
    assert!(start.elapsed() < Duration::from_secs(5));
    // The round is still open; the real admin request closes it.
    let (s, _) = close(
        &format!("Host: localhost\r\n{auth}Content-Type: Application/JSON\r\n"),
        "{}",
    );
    assert_eq!(s, 202);
}

#[test]
fn ids_at_or_above_2_pow_63_and_model_0_are_404() {
    let (_dir, server) = started("ids", &["--open-round"]);
    for path in [
        "/v1/rounds/9223372036854775808",
        "/v1/rounds/18446744073709551615",
        "/v1/rounds/9223372036854775808/announcement",
        "/v1/rounds/9223372036854775808/update",
        "/v1/models/9223372036854775808",
        "/v1/models/0",
    ] {
        let (s, text) = raw(
            &server,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        );
        assert_eq!(s, 404, "{path}: {text}");
    }
    let (s, _) = raw(
        &server,
        "POST /v1/rounds/9223372036854775808/submissions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 1\r\n\r\nx",
    );
    assert_eq!(s, 404);
}

#[test]
fn a_second_service_on_the_same_data_directory_is_refused() {
    let (dir, _server) = started("lock", &[]);
    let err = serve_refused(&dir.0);
    assert!(err.contains("in use by another zkfl serve"), "{err}");
}

#[test]
fn a_damaged_database_is_refused_at_start_up() {
    let dir = TempDir::new("damaged");
    keygen(&dir.0, 3);
    std::fs::write(dir.0.join("zkfl.sqlite"), vec![0x5a; 8192]).expect("junk db");
    let err = serve_refused(&dir.0);
    assert!(err.contains("integrity check"), "{err}");
}

/// Runs `zkfl serve` over `<dir>` (keys in `<dir>/keys`), which must refuse to start; its standard error.
fn serve_refused(dir: &Path) -> String {
    let out = zkfl()
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .arg("--keys")
        .arg(dir.join("keys"))
        .stdout(Stdio::null())
        .output()
        .expect("run zkfl serve");
    assert!(!out.status.success(), "zkfl serve started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn sigterm_does_not_wait_for_idle_or_half_sent_connections() {
    let (_dir, server) = started("term-idle", &[]);
    let _idle = connect(&server);
    let mut half = connect(&server);
    half.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
        .expect("half");
    let mut keep = connect(&server);
    keep.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("keep-alive");
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    assert!(server.terminate(), "zkfl serve must exit 0 on SIGTERM");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

/// The key holder is the server's only child process (spawned by any of its threads).
fn keyholder_pid(server: &Server) -> u32 {
    let pid = server.child.id();
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("tasks");
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|c| {
            c.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .next()
        .expect("key holder child")
}

#[test]
fn a_killed_key_holder_is_reported_and_restarted() {
    let (_dir, server) = started("kh", &["--open-round"]);
    let c = server.client();
    let h = c.health().expect("health");
    assert_eq!(
        (h["status"].as_str(), h["keyholder"]["state"].as_str()),
        (Some("ok"), Some("running"))
    );
    let before = keyholder_pid(&server);
    let _ = std::process::Command::new("kill")
        .args(["-9", &before.to_string()])
        .status();
    let start = Instant::now();
    let restarted = loop {
        let h = c.health().expect("health");
        if h["keyholder"]["restarts"].as_u64() == Some(1) && h["status"] == "ok" {
            break true;
        }
        if start.elapsed() > Duration::from_secs(10) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(restarted, "the round driver restarts a dead key holder");
    assert_ne!(keyholder_pid(&server), before);
}
