//! A small blocking client for the aggregator API (docs/API.md), used by `zkfl demo`, by clinics written in
//! Rust and by the end-to-end tests. Every error response becomes [`ClientError::Api`] with the server's
//! typed code, so callers can match on `Code::DuplicateSubmission` and the like.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::coordinator::OpenRound;
use crate::error::{ApiError, Code};
use crate::round::{Announcement, RoundId};

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
        if !crate::keys::verify_announcement(aggregator_key, &bytes, &sig) {
            return Err(ClientError::BadAnnouncement(
                "ML-DSA-65 signature does not verify under the pinned aggregator key".into(),
            ));
        }
        let a = Announcement::decode(&bytes)
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
    pub clinic_id: u32,
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
}

/// The accepted-submission answer.
pub type Accepted = crate::coordinator::Accepted;

/// A blocking client bound to one server.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    /// Retries of a 429/503 answer (0: none, the default).
    retries: u32,
}

/// The retry policy for a busy server: a 429 (`queue_full`) or 503 (`shutting_down`) answer is retried
/// after its `Retry-After` seconds (capped at 60; 2^attempt s without the header) plus up to 50 % random
/// jitter, so clinics told to wait the same time do not all return at once. `None`: do not retry.
#[must_use]
pub fn retry_delay(
    status: u16,
    retry_after: Option<&str>,
    attempt: u32,
    max: u32,
) -> Option<Duration> {
    if !matches!(status, 429 | 503) || attempt >= max {
        return None;
    }
    let secs = retry_after
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1 << attempt.min(5))
        .clamp(1, 60);
    let mut r = [0u8; 2];
    let jitter = if getrandom::fill(&mut r).is_ok() {
        u64::from(u16::from_le_bytes(r)) * secs * 500 / u64::from(u16::MAX)
    } else {
        0
    };
    Some(Duration::from_millis(secs * 1000 + jitter))
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
            retries: 0,
        }
    }

    /// The same client, retrying busy answers up to `retries` times ([`retry_delay`]).
    #[must_use]
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Sends a request (again while [`retry_delay`] says so) and reads its answer.
    fn call(
        &self,
        send: impl Fn() -> core::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Vec<u8>> {
        let mut attempt = 0;
        loop {
            let resp = send().map_err(|e| ClientError::Transport(e.to_string()))?;
            let after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok());
            match retry_delay(resp.status().as_u16(), after, attempt, self.retries) {
                Some(wait) => {
                    eprintln!(
                        "server busy (HTTP {}); retrying in {:.1} s",
                        resp.status().as_u16(),
                        wait.as_secs_f64()
                    );
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                None => return Self::finish(resp),
            }
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
        self.call(|| self.agent.get(&self.url(path)).call())
    }

    fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        serde_json::from_slice(&self.get_bytes(path)?)
            .map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// `POST` of raw bytes with a content type.
    pub fn post_bytes(&self, path: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>> {
        self.call(|| {
            self.agent
                .post(&self.url(path))
                .header("Content-Type", content_type)
                .send(body)
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

    /// `POST /v1/rounds/{round}/submissions`: submits a sealed envelope and waits for the verdict.
    pub fn submit(&self, round: RoundId, envelope: &[u8]) -> Result<Accepted> {
        let bytes = self.post_bytes(
            &format!("/v1/rounds/{round}/submissions"),
            "application/octet-stream",
            envelope,
        )?;
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

    /// `POST /v1/admin/models` (loopback only): stores a model, returns its hex SHA3-256.
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

    /// `POST /v1/admin/rounds` (loopback only): opens the next round.
    pub fn admin_open_round(&self, req: &OpenRound) -> Result<RoundAnnouncement> {
        let body = serde_json::to_vec(req).map_err(|e| ClientError::Decode(e.to_string()))?;
        serde_json::from_slice(&self.post_bytes("/v1/admin/rounds", "application/json", &body)?)
            .map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// `POST /v1/admin/rounds/{round}/close` (loopback only).
    pub fn admin_close_round(&self, round: RoundId) -> Result<RoundStatus> {
        serde_json::from_slice(&self.post_bytes(
            &format!("/v1/admin/rounds/{round}/close"),
            "application/json",
            b"",
        )?)
        .map_err(|e| ClientError::Decode(e.to_string()))
    }
}

#[cfg(test)]
mod retry_tests {
    use super::*;

    #[test]
    fn busy_answers_are_retried_after_retry_after_with_jitter_and_others_are_not() {
        for _ in 0..20 {
            let d = retry_delay(429, Some("2"), 0, 3).expect("retry");
            assert!((2000..=3000).contains(&d.as_millis()), "{d:?}");
        }
        assert!(retry_delay(503, None, 2, 3).expect("retry") >= Duration::from_secs(4));
        assert!(retry_delay(429, Some("999"), 0, 3).expect("retry") <= Duration::from_secs(90));
        assert_eq!(
            retry_delay(429, Some("2"), 3, 3),
            None,
            "attempts exhausted"
        );
        assert_eq!(retry_delay(409, Some("2"), 0, 3), None);
        assert_eq!(retry_delay(200, None, 0, 3), None);
        assert_eq!(retry_delay(429, None, 0, 0), None, "retries off by default");
    }
}
