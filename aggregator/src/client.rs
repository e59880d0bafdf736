//! A small blocking client for the aggregator API (docs/API.md), used by `zkfl demo`, by clinics written in
//! Rust and by the end-to-end tests. Every error response becomes [`ClientError::Api`] with the server's
//! typed code, so callers can match on `Code::DuplicateSubmission` and the like.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::coordinator::OpenRound;
use crate::error::{ApiError, Code};
use crate::round::{Announcement, ClinicId, RoundId, RoundState};

/// Largest response body the client reads (models of ~10^7 parameters).
const MAX_RESPONSE: u64 = 256 << 20;

/// What can go wrong talking to the aggregator.
#[derive(Debug)]
pub enum ClientError {
    /// The server answered with a typed error.
    Api {
        /// HTTP status.
        status: u16,
        /// The server's code and message.
        error: ApiError,
    },
    /// Connection or protocol failure.
    Transport(String),
    /// The response did not have the documented shape.
    Decode(String),
    /// The round announcement's signature or contents did not check out.
    BadAnnouncement(String),
    /// Waiting for a round state timed out.
    Timeout(String),
}

impl ClientError {
    /// The server's error code, if this is an API error.
    #[must_use]
    pub fn code(&self) -> Option<Code> {
        match self {
            Self::Api { error, .. } => Some(error.code),
            _ => None,
        }
    }
}

impl core::fmt::Display for ClientError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Api { status, error } => write!(f, "HTTP {status} {error}"),
            Self::Transport(e) => write!(f, "transport: {e}"),
            Self::Decode(e) => write!(f, "unexpected response: {e}"),
            Self::BadAnnouncement(e) => write!(f, "bad round announcement: {e}"),
            Self::Timeout(e) => write!(f, "timeout: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// Result alias.
pub type Result<T> = core::result::Result<T, ClientError>;

/// `GET /v1/rounds/current` as sent.
#[derive(Clone, Debug, Deserialize)]
pub struct RoundAnnouncement {
    /// Round number.
    pub round: RoundId,
    /// Round state.
    pub state: String,
    /// Hex of the canonical signed bytes.
    pub announcement: String,
    /// Hex ML-DSA-65 signature.
    pub signature: String,
}

impl RoundAnnouncement {
    /// Checks the signature with the pinned aggregator key and returns the signed facts.
    pub fn verify(&self, aggregator_key: &[u8]) -> Result<Announcement> {
        let bytes = hex::decode(&self.announcement)
            .map_err(|e| ClientError::BadAnnouncement(e.to_string()))?;
        let sig = hex::decode(&self.signature)
            .map_err(|e| ClientError::BadAnnouncement(e.to_string()))?;
        let vk = zkfl_core::channel::VerifyingKey::from_bytes(aggregator_key)
            .map_err(|e| ClientError::BadAnnouncement(format!("pinned aggregator key: {e}")))?;
        let signed = zkfl_core::channel::Announcement::verify(&vk, &bytes, &sig)
            .map_err(|e| ClientError::BadAnnouncement(e.to_string()))?;
        let a = crate::round::decode_spec(&signed)
            .map_err(|e| ClientError::BadAnnouncement(e.to_string()))?;
        if a.round != self.round {
            return Err(ClientError::BadAnnouncement(
                "the JSON round differs from the signed round".into(),
            ));
        }
        Ok(a)
    }
}

/// One per-clinic decision in a round status.
#[derive(Clone, Debug, Deserialize)]
pub struct SubmissionStatus {
    /// Roster id.
    pub clinic_id: ClinicId,
    /// `"accepted"` or `"rejected"`.
    pub decision: String,
    /// Rejection code.
    pub code: Option<Code>,
    /// Rejection message.
    pub message: Option<String>,
}

/// `GET /v1/rounds/{r}`.
#[derive(Clone, Debug, Deserialize)]
pub struct RoundStatus {
    /// Round number.
    pub round: RoundId,
    /// `open`, `closing`, `decrypting`, `published` or `failed`.
    pub state: String,
    /// Roster size.
    pub expected: u32,
    /// Accepted count.
    pub accepted: u32,
    /// Rejected count (authenticated).
    pub rejected: u32,
    /// Rejections before authentication.
    pub unauthenticated_rejections: u64,
    /// Per-clinic decisions.
    pub submissions: Vec<SubmissionStatus>,
    /// Failure code and message, if failed.
    pub failure: Option<Value>,
    /// Publication details, if published.
    pub result: Option<Value>,
    /// Work times of the round measured by the serving process (absent after a restart).
    #[serde(default)]
    pub timing_s: Option<crate::coordinator::RoundTimings>,
    /// `single-decryptor` or `threshold t-of-n`.
    #[serde(default)]
    pub decryption_mode: Option<String>,
    /// Threshold mode: how the round was decrypted (present set, receipt signers, refusals, exclusions).
    #[serde(default)]
    pub decryption: Option<Value>,
}

/// The accepted-submission answer.
pub type Accepted = crate::coordinator::Accepted;

/// How the client retries a transient failure: `429`/`503` answers (after the server's `Retry-After`) and
/// refused or reset connections (a restarting server), each delay stretched by up to 50 % random jitter so
/// clinics that were turned away together do not come back together.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts in total (1 = no retry).
    pub attempts: u32,
    /// Delay when the server gives no `Retry-After` (and for connection failures), doubled per attempt.
    pub base_delay: Duration,
    /// Longest single delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    #[must_use]
    pub fn none() -> Self {
        Self {
            attempts: 1,
            ..Self::default()
        }
    }

    /// The delay before attempt `attempt + 1`: the server's `Retry-After` if it sent one, else the
    /// exponential backoff; then capped and stretched by `jitter` (a fraction in [0, 1) from the OS RNG).
    #[must_use]
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        let backoff = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let base = retry_after.unwrap_or(backoff).min(self.max_delay);
        base.mul_f64(1.0 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// A uniform fraction in [0, 1) from the OS (jitter needs no secrecy, only independence between clinics).
fn jitter() -> f64 {
    use getrandom::rand_core::TryRng as _;
    let mut b = [0u8; 4];
    let _ = getrandom::SysRng.try_fill_bytes(&mut b);
    f64::from(u32::from_le_bytes(b)) / 4_294_967_296.0
}

/// A request body read from `inner`, reporting (bytes sent, total) to `progress` after every read.
struct Counted<'a, R> {
    inner: R,
    sent: u64,
    total: u64,
    progress: &'a dyn Fn(u64, u64),
}

impl<R: std::io::Read> std::io::Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sent += n as u64;
        (self.progress)(self.sent, self.total);
        Ok(n)
    }
}

/// A blocking client bound to one server.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    admin_token: Option<zeroize::Zeroizing<String>>,
    retry: RetryPolicy,
}

impl Client {
    /// A client for `base` (e.g. `http://127.0.0.1:8787`).
    #[must_use]
    pub fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .new_agent();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            agent,
            admin_token: None,
            retry: RetryPolicy::default(),
        }
    }

    /// Sends this admin token (`keys/aggregator/admin-token`) with admin requests.
    #[must_use]
    pub fn with_admin_token(mut self, token: &str) -> Self {
        self.admin_token = Some(zeroize::Zeroizing::new(token.trim().to_owned()));
        self
    }

    /// Reads the admin token from a key directory written by `zkfl keygen`.
    pub fn with_admin_token_from(self, keys: &std::path::Path) -> Result<Self> {
        let token = crate::keys::admin_token(&crate::keys::KeyDir(keys.to_path_buf()))
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(self.with_admin_token(&token))
    }

    /// Replaces the retry policy.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Runs one request with the retry policy: `429`/`503` and connection failures are retried.
    fn with_retries(
        &self,
        send: impl Fn() -> core::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Vec<u8>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.retry.attempts.max(1);
            let retry_after = match send() {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if last || !matches!(status, 429 | 503) {
                        return Self::finish(resp);
                    }
                    resp.headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs)
                }
                Err(e) => {
                    let transient = matches!(
                        e,
                        ureq::Error::Io(_)
                            | ureq::Error::ConnectionFailed
                            | ureq::Error::HostNotFound
                    );
                    if last || !transient {
                        return Err(ClientError::Transport(e.to_string()));
                    }
                    None
                }
            };
            std::thread::sleep(self.retry.delay(attempt, retry_after, jitter()));
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn finish(resp: ureq::http::Response<ureq::Body>) -> Result<Vec<u8>> {
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        let bytes = body
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        let error = serde_json::from_slice::<ApiError>(&bytes).map_err(|_| {
            ClientError::Decode(format!(
                "HTTP {status} without a JSON error: {}",
                String::from_utf8_lossy(&bytes)
            ))
        })?;
        Err(ClientError::Api { status, error })
    }

    /// `GET` returning raw bytes.
    pub fn get_bytes(&self, path: &str) -> Result<Vec<u8>> {
        let url = self.url(path);
        self.with_retries(|| self.agent.get(&url).call())
    }

    fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        serde_json::from_slice(&self.get_bytes(path)?)
            .map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// `POST` of raw bytes with a content type (admin paths carry the admin token, if set).
    pub fn post_bytes(&self, path: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>> {
        let url = self.url(path);
        let bearer = self
            .admin_token
            .as_ref()
            .filter(|_| path.starts_with("/v1/admin/"))
            .map(|t| zeroize::Zeroizing::new(format!("Bearer {}", t.as_str())));
        self.with_retries(|| {
            let mut req = self.agent.post(&url).header("Content-Type", content_type);
            if let Some(b) = &bearer {
                req = req.header("Authorization", b.as_str());
            }
            req.send(body)
        })
    }

    /// `GET /v1/health`.
    pub fn health(&self) -> Result<Value> {
        self.get_json("/v1/health")
    }

    /// `GET /v1/params`.
    pub fn params(&self) -> Result<Value> {
        self.get_json("/v1/params")
    }

    /// `GET /v1/roster`.
    pub fn roster(&self) -> Result<Value> {
        self.get_json("/v1/roster")
    }

    /// `GET /v1/keys/kem`: the ML-KEM-768 encapsulation key.
    pub fn kem_key(&self) -> Result<Vec<u8>> {
        self.get_bytes("/v1/keys/kem")
    }

    /// `GET /v1/keys/committee` (threshold mode): roster digest, key identity and the n certificate signatures.
    pub fn committee_key(&self) -> Result<Value> {
        self.get_json("/v1/keys/committee")
    }

    /// `GET /v1/keys/bfv`: the BFV public key.
    pub fn bfv_key(&self) -> Result<Vec<u8>> {
        self.get_bytes("/v1/keys/bfv")
    }

    /// `GET /v1/keys/aggregator`: the aggregator's ML-DSA-65 verifying key (prefer a pinned copy).
    pub fn aggregator_key(&self) -> Result<Vec<u8>> {
        self.get_bytes("/v1/keys/aggregator")
    }

    /// `GET /v1/rounds/current` (check it with [`RoundAnnouncement::verify`]).
    pub fn current_round(&self) -> Result<RoundAnnouncement> {
        self.get_json("/v1/rounds/current")
    }

    /// `GET /v1/models/{round}`: the global model w_round.
    pub fn model(&self, round: RoundId) -> Result<Vec<f32>> {
        let bytes = self.get_bytes(&format!("/v1/models/{round}"))?;
        crate::model::decode(&bytes).map_err(|e| ClientError::Decode(e.message))
    }

    /// `GET /v1/rounds/{round}/update`: the published mean update.
    pub fn update(&self, round: RoundId) -> Result<Vec<f32>> {
        let bytes = self.get_bytes(&format!("/v1/rounds/{round}/update"))?;
        crate::model::decode(&bytes).map_err(|e| ClientError::Decode(e.message))
    }

    /// `POST /v1/rounds/{round}/submissions`: submits a sealed envelope (streamed from the slice, see
    /// [`Client::submit_streamed`]) and waits for the verdict.
    pub fn submit(&self, round: RoundId, envelope: &[u8]) -> Result<Accepted> {
        let open = || Ok(Box::new(envelope) as Box<dyn std::io::Read + '_>);
        self.submit_streamed(round, envelope.len() as u64, &open, &|_, _| {})
    }

    /// `POST /v1/rounds/{round}/submissions` streamed: the body (`len` bytes) is read from a fresh reader
    /// made by `open` for each attempt, never copied into another buffer, and `progress(sent, total)` is
    /// called as bytes go out. `Expect: 100-continue` lets the server refuse the declared length (`413
    /// body_too_large`, the round's limit) before any byte of the body is sent.
    pub fn submit_streamed<'b>(
        &self,
        round: RoundId,
        len: u64,
        open: &dyn Fn() -> std::io::Result<Box<dyn std::io::Read + 'b>>,
        progress: &dyn Fn(u64, u64),
    ) -> Result<Accepted> {
        let url = self.url(&format!("/v1/rounds/{round}/submissions"));
        let bytes = self.with_retries(|| {
            let mut body = Counted {
                inner: open().map_err(ureq::Error::Io)?,
                sent: 0,
                total: len,
                progress,
            };
            self.agent
                .post(&url)
                .header("Content-Type", "application/octet-stream")
                .header("Content-Length", len.to_string())
                .header("Expect", "100-continue")
                .send(ureq::SendBody::from_reader(&mut body))
        })?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// `GET /v1/rounds/{round}`.
    pub fn status(&self, round: RoundId) -> Result<RoundStatus> {
        self.get_json(&format!("/v1/rounds/{round}"))
    }

    /// Polls the round status until its state is one of `states`.
    pub fn wait_for(
        &self,
        round: RoundId,
        states: &[&str],
        timeout: Duration,
    ) -> Result<RoundStatus> {
        let start = Instant::now();
        loop {
            let s = self.status(round)?;
            if states.contains(&s.state.as_str()) {
                return Ok(s);
            }
            if start.elapsed() > timeout {
                return Err(ClientError::Timeout(format!(
                    "round {round} still {} after {timeout:?}",
                    s.state
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls the round status until the round has ended: published or failed (`RoundState::is_terminal`).
    pub fn wait_for_end(&self, round: RoundId, timeout: Duration) -> Result<RoundStatus> {
        self.wait_for(
            round,
            &[RoundState::Published.as_str(), RoundState::Failed.as_str()],
            timeout,
        )
    }

    /// `POST /v1/admin/models` (loopback, admin token): stores a model, returns its hex SHA3-256.
    pub fn admin_put_model(&self, model: &[f32]) -> Result<String> {
        let v: Value = serde_json::from_slice(&self.post_bytes(
            "/v1/admin/models",
            "application/octet-stream",
            &crate::model::encode(model),
        )?)
        .map_err(|e| ClientError::Decode(e.to_string()))?;
        v["model_sha3"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ClientError::Decode("no model_sha3".into()))
    }

    /// `POST /v1/admin/rounds` (loopback, admin token): opens the next round.
    pub fn admin_open_round(&self, req: &OpenRound) -> Result<RoundAnnouncement> {
        let body = serde_json::to_vec(req).map_err(|e| ClientError::Decode(e.to_string()))?;
        serde_json::from_slice(&self.post_bytes("/v1/admin/rounds", "application/json", &body)?)
            .map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// `POST /v1/admin/rounds/{round}/close` (loopback, admin token).
    pub fn admin_close_round(&self, round: RoundId) -> Result<RoundStatus> {
        serde_json::from_slice(&self.post_bytes(
            &format!("/v1/admin/rounds/{round}/close"),
            "application/json",
            b"{}",
        )?)
        .map_err(|e| ClientError::Decode(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_follow_retry_after_or_backoff_with_bounded_jitter() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2)), 0.0),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2)), 0.999_999),
            Duration::from_secs(2).mul_f64(1.0 + 0.5 * 0.999_999)
        );
        assert_eq!(p.delay(1, None, 0.0), p.base_delay);
        assert_eq!(p.delay(3, None, 0.0), p.base_delay * 4);
        assert_eq!(p.delay(30, None, 0.0), p.max_delay);
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3600)), 0.0),
            p.max_delay
        );
        let j: Vec<f64> = (0..64).map(|_| jitter()).collect();
        assert!(j.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(j.iter().any(|x| (x - j[0]).abs() > 1e-9), "jitter varies");
    }
}
