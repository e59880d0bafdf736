//! Caps that keep the service answering under hostile load (docs/SERVICE.md "Limits and timeouts"): a cap
//! on requests in flight, a budget of body bytes being read at once, a few authentication slots (so junk
//! never reaches the verification queue) and a deadline per request; and the admin access rules (loopback
//! peer, admin token, no browser origin, loopback `Host`). Overload answers are typed (`429 queue_full`
//! with `Retry-After`), never a hang.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};
use zeroize::Zeroizing;

use super::AppState;
use crate::error::{ApiError, Code};

/// Unit of the body budget: permits count KiB, so one semaphore covers up to 4 TiB.
const BUDGET_UNIT: usize = 1024;

/// Sizes of the caps (from `zkfl serve` options).
#[derive(Clone, Debug)]
pub struct GuardConfig {
    /// Requests handled at once (health is exempt).
    pub max_requests: usize,
    /// Body bytes being read or authenticated at once.
    pub body_budget: usize,
    /// Submissions being authenticated at once.
    pub auth_slots: usize,
    /// Longest time a request body may take to arrive.
    pub body_timeout: Duration,
    /// Longest time a request may take in total (including waiting for its verification).
    pub request_timeout: Duration,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            max_requests: 256,
            body_budget: 64 << 20,
            auth_slots: 4,
            body_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(300),
        }
    }
}

/// The live caps.
pub struct Guards {
    requests: Arc<Semaphore>,
    max_requests: usize,
    bodies: Arc<Semaphore>,
    auth: Arc<Semaphore>,
    /// Longest time a request body may take to arrive.
    pub body_timeout: Duration,
    request_timeout: Duration,
    /// Who may call the admin endpoints.
    pub admin: AdminAccess,
}

/// Part of the body budget, returned on drop.
pub struct BodyPermit(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

/// An authentication slot, returned on drop.
pub struct AuthPermit(#[allow(dead_code)] OwnedSemaphorePermit);

fn busy(what: &str) -> ApiError {
    ApiError::new(
        Code::QueueFull,
        format!("the server is busy ({what}); retry after the Retry-After delay"),
    )
}

impl Guards {
    /// Caps of the given sizes.
    #[must_use]
    pub fn new(config: &GuardConfig, admin: AdminAccess) -> Self {
        let units = config.body_budget.div_ceil(BUDGET_UNIT).max(1);
        Self {
            requests: Arc::new(Semaphore::new(config.max_requests.max(1))),
            max_requests: config.max_requests.max(1),
            bodies: Arc::new(Semaphore::new(units.min(Semaphore::MAX_PERMITS))),
            auth: Arc::new(Semaphore::new(config.auth_slots.max(1))),
            body_timeout: config.body_timeout,
            request_timeout: config.request_timeout,
            admin,
        }
    }

    /// Requests being handled now (health excluded): shutdown waits for these, not for idle connections.
    #[must_use]
    pub fn requests_in_flight(&self) -> usize {
        self.max_requests
            .saturating_sub(self.requests.available_permits())
    }

    /// Reserves `bytes` of the in-flight body budget, or `429` if the budget is used up.
    pub fn reserve_body(&self, bytes: usize) -> Result<BodyPermit, ApiError> {
        let units = u32::try_from(bytes.div_ceil(BUDGET_UNIT)).unwrap_or(u32::MAX);
        if units == 0 {
            return Ok(BodyPermit(None));
        }
        match Arc::clone(&self.bodies).try_acquire_many_owned(units) {
            Ok(p) => Ok(BodyPermit(Some(p))),
            Err(TryAcquireError::NoPermits) => Err(busy("too many request bodies in flight")),
            Err(TryAcquireError::Closed) => Err(ApiError::new(Code::ShuttingDown, "shutting down")),
        }
    }

    /// Takes an authentication slot, or `429` if all are busy.
    pub fn auth_slot(&self) -> Result<AuthPermit, ApiError> {
        Arc::clone(&self.auth)
            .try_acquire_owned()
            .map(AuthPermit)
            .map_err(|_| busy("every authentication slot is taken"))
    }
}

/// Middleware: caps requests in flight (health is exempt so it answers during a flood) and bounds each
/// request's total time.
pub async fn in_flight(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if req.uri().path() == "/v1/health" {
        return next.run(req).await;
    }
    let Ok(_permit) = Arc::clone(&s.guards.requests).try_acquire_owned() else {
        return busy("too many requests in flight").into_response();
    };
    match tokio::time::timeout(s.guards.request_timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::new(
            Code::ShuttingDown,
            format!(
                "the request took longer than {} s; its outcome (if any) shows in the round status",
                s.guards.request_timeout.as_secs()
            ),
        )
        .into_response(),
    }
}

/// Who may use the admin endpoints: a loopback peer that names a loopback `Host`, sends no browser
/// `Origin`, and presents the admin token (`Authorization: Bearer <token>`, the file `zkfl keygen` wrote).
pub struct AdminAccess {
    token: Zeroizing<Vec<u8>>,
}

impl AdminAccess {
    /// Access with this token (at least 16 bytes, else every admin request is refused).
    #[must_use]
    pub fn with_token(token: &str) -> Self {
        Self {
            token: Zeroizing::new(token.trim().as_bytes().to_vec()),
        }
    }

    /// Checks every rule before any body byte is read.
    pub fn check(&self, peer: &SocketAddr, headers: &HeaderMap) -> Result<(), ApiError> {
        let forbid = |why: &str| Err(ApiError::new(Code::AdminForbidden, why));
        if !peer.ip().is_loopback() {
            return forbid(
                "admin endpoints only answer loopback peers; run the request on the aggregator host",
            );
        }
        if headers.contains_key(header::ORIGIN)
            || headers
                .get("sec-fetch-site")
                .is_some_and(|v| v.as_bytes() != b"none")
        {
            return forbid(
                "admin endpoints refuse requests made by web pages (Origin header present)",
            );
        }
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_loopback_host(host) {
            return forbid("admin endpoints only answer Host: localhost, 127.0.0.1 or [::1]");
        }
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("")
            .trim()
            .as_bytes();
        let ok = self.token.len() >= 16 && bool::from(presented.ct_eq(&self.token));
        if !ok {
            return forbid(
                "missing or wrong admin token: send Authorization: Bearer <contents of \
                 keys/aggregator/admin-token>",
            );
        }
        Ok(())
    }
}

/// Whether a `Host` header names this machine's loopback interface (any port).
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The admin rules as an extractor-free check for handlers.
pub fn require_admin(
    s: &AppState,
    peer: &ConnectInfo<SocketAddr>,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    s.guards.admin.check(&peer.0, headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn admin_needs_loopback_token_no_origin_and_a_loopback_host() {
        let a = AdminAccess::with_token(TOKEN);
        let local: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        let remote: SocketAddr = "192.0.2.1:5000".parse().expect("addr");
        let bearer = format!("Bearer {TOKEN}");
        let good = headers(&[("host", "127.0.0.1:8787"), ("authorization", &bearer)]);
        assert!(a.check(&local, &good).is_ok());
        assert!(a.check(&remote, &good).is_err());
        let code = |h: &HeaderMap| a.check(&local, h).err().map(|e| e.code);
        for bad in [
            headers(&[("host", "127.0.0.1:8787")]),
            headers(&[
                ("host", "127.0.0.1:8787"),
                ("authorization", "Bearer wrong"),
            ]),
            headers(&[
                ("host", "127.0.0.1:8787"),
                ("authorization", &bearer),
                ("origin", "http://evil.example"),
            ]),
            headers(&[
                ("host", "127.0.0.1:8787"),
                ("authorization", &bearer),
                ("sec-fetch-site", "cross-site"),
            ]),
            headers(&[("host", "evil.example:8787"), ("authorization", &bearer)]),
            headers(&[("authorization", &bearer)]),
        ] {
            assert_eq!(code(&bad), Some(Code::AdminForbidden), "{bad:?}");
        }
        for host in ["localhost", "LOCALHOST:1", "[::1]:8787", "127.0.0.2"] {
            assert!(is_loopback_host(host), "{host}");
        }
        assert!(!is_loopback_host("127.0.0.1.evil.example"));
        let short = AdminAccess::with_token("short");
        let h = headers(&[("host", "localhost"), ("authorization", "Bearer short")]);
        assert!(short.check(&local, &h).is_err());
    }

    #[test]
    fn the_body_budget_and_auth_slots_run_out_and_come_back() {
        let config = GuardConfig {
            body_budget: 10 * BUDGET_UNIT,
            auth_slots: 1,
            ..GuardConfig::default()
        };
        let g = Guards::new(&config, AdminAccess::with_token(TOKEN));
        let first = g.reserve_body(8 * BUDGET_UNIT).expect("fits");
        assert_eq!(
            g.reserve_body(4 * BUDGET_UNIT).err().map(|e| e.code),
            Some(Code::QueueFull)
        );
        drop(first);
        assert!(g.reserve_body(10 * BUDGET_UNIT).is_ok());
        let slot = g.auth_slot().expect("slot");
        assert!(g.auth_slot().is_err());
        drop(slot);
        assert!(g.auth_slot().is_ok());
    }
}
