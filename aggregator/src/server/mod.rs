//! The HTTP API (docs/API.md) on axum. Handlers only parse, hand work to blocking threads (store access) or
//! to the verification pool (submissions), and render JSON; nothing here blocks the async loop.

mod admin;
mod guard;
pub mod listen;
mod views;
pub mod web;

pub use guard::{AdminAccess, GuardConfig, Guards};

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use crate::coordinator::{Accepted, Coordinator};
use crate::error::{ApiError, Code};
use crate::round::RoundId;
use crate::verify_pool::VerifyPool;

/// Public material served as-is.
pub struct PublicInfo {
    /// `GET /v1/params` body.
    pub params: Value,
    /// `GET /v1/roster` body.
    pub roster: Value,
    /// ML-KEM-768 encapsulation key.
    pub kem_key: Vec<u8>,
    /// Aggregator ML-DSA-65 verifying key.
    pub aggregator_key: Vec<u8>,
    /// BFV public key, if this key directory has one (threshold mode: the committee key, same wire format).
    pub bfv_key: Option<Vec<u8>>,
    /// Threshold mode: `GET /v1/keys/committee` body (roster digest, key identity, the n certificate
    /// signatures).
    pub committee: Option<Value>,
}

/// Shared state of all handlers.
pub struct AppState {
    /// The service core.
    pub coordinator: Arc<Coordinator>,
    /// Verification workers.
    pub pool: VerifyPool,
    /// Public keys and parameters.
    pub public: PublicInfo,
    /// Largest accepted request body.
    pub max_body: usize,
    /// Caps on concurrent work and admin access rules.
    pub guards: Guards,
}

type Shared = State<Arc<AppState>>;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = self.code.is_retryable();
        let mut resp = (status, axum::Json(self)).into_response();
        if retry {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        resp
    }
}

/// Builds the router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route(
            "/v1/params",
            get(|State(s): Shared| async move { axum::Json(s.public.params.clone()) }),
        )
        .route(
            "/v1/roster",
            get(|State(s): Shared| async move { axum::Json(s.public.roster.clone()) }),
        )
        .route(
            "/v1/keys/kem",
            get(|State(s): Shared| async move { binary(s.public.kem_key.clone()) }),
        )
        .route(
            "/v1/keys/aggregator",
            get(|State(s): Shared| async move { binary(s.public.aggregator_key.clone()) }),
        )
        .route("/v1/keys/bfv", get(bfv_key))
        .route("/v1/keys/committee", get(committee_key))
        .route("/v1/rounds/current", get(current_round))
        .route("/v1/rounds/{round}", get(round_status))
        .route("/v1/rounds/{round}/announcement", get(round_announcement))
        .route("/v1/rounds/{round}/update", get(round_update))
        .route("/v1/rounds/{round}/submissions", post(submit))
        .route("/v1/models/{round}", get(model))
        .route("/v1/admin/models", post(admin::put_model))
        .route("/v1/admin/rounds", post(admin::open_round))
        .route("/v1/admin/rounds/{round}/close", post(admin::close_round))
        .fallback(|| async {
            ApiError::new(
                Code::NotFound,
                "no such endpoint; see docs/API.md (all paths start with /v1)",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            guard::in_flight,
        ))
        .with_state(state)
}

fn binary(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
}

/// Liveness and the key holder's state; never touches the store lock, so it answers during floods.
async fn health(State(s): Shared) -> axum::Json<Value> {
    let keyholder = s.coordinator.decryptor_health();
    let status = if keyholder.ok { "ok" } else { "degraded" };
    axum::Json(serde_json::json!({
        "status": status,
        "decryption_mode": s.coordinator.decryption_mode(),
        "keyholder": keyholder,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn bfv_key(State(s): Shared) -> Result<Response, ApiError> {
    s.public.bfv_key.clone().map(binary).ok_or_else(|| ApiError::new(Code::NotFound, "this key directory has no BFV public key (zkfl keygen could not create one in this build)"))
}

async fn committee_key(State(s): Shared) -> Result<axum::Json<Value>, ApiError> {
    s.public.committee.clone().map(axum::Json).ok_or_else(|| {
        ApiError::new(
            Code::NotFound,
            "this service runs in single-decryptor mode: there is no key-holder committee",
        )
    })
}

/// Runs a store-touching closure on a blocking thread.
async fn blocking<T: Send + 'static>(
    s: &Arc<AppState>,
    f: impl FnOnce(&Coordinator) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let c = Arc::clone(&s.coordinator);
    tokio::task::spawn_blocking(move || f(&c))
        .await
        .map_err(ApiError::internal)?
}

/// Parses a round number from a path. Rounds are stored as SQLite integers, so a number at or above 2^63
/// names no round (404), like any other round that does not exist.
fn parse_round(raw: &str) -> Result<RoundId, ApiError> {
    let id: RoundId = raw.parse().map_err(|_| {
        ApiError::new(
            Code::MalformedRequest,
            format!("'{raw}' is not a round number"),
        )
    })?;
    if i64::try_from(id.0).is_err() {
        return Err(ApiError::new(
            Code::NotFound,
            format!("there is no round {id}"),
        ));
    }
    Ok(id)
}

async fn current_round(State(s): Shared) -> Result<axum::Json<Value>, ApiError> {
    blocking(&s, |c| {
        c.latest_round()?
            .map(|r| axum::Json(views::announcement(&r)))
            .ok_or_else(|| {
                ApiError::new(
                    Code::NoRound,
                    "no round has been opened yet; try again later",
                )
            })
    })
    .await
}

async fn round_announcement(
    State(s): Shared,
    Path(raw): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let id = parse_round(&raw)?;
    blocking(&s, move |c| {
        Ok(axum::Json(views::announcement(&c.round(id)?)))
    })
    .await
}

async fn round_status(
    State(s): Shared,
    Path(raw): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let id = parse_round(&raw)?;
    blocking(&s, move |c| {
        Ok(axum::Json(views::status(&c.round_report(id)?)))
    })
    .await
}

async fn round_update(State(s): Shared, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let id = parse_round(&raw)?;
    let upd = blocking(&s, move |c| c.published_update(id)).await?;
    upd.map(binary).ok_or_else(|| {
        ApiError::new(
            Code::NotFound,
            format!("round {id} has no published update (yet)"),
        )
    })
}

async fn model(State(s): Shared, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let id = parse_round(&raw)?;
    let bytes = blocking(&s, move |c| c.model_of_round(id)).await?;
    bytes
        .map(binary)
        .ok_or_else(|| ApiError::new(Code::NotFound, format!("no model w_{id} exists yet")))
}

/// Whether the request's `Content-Type` is `expected` (media type compared case-insensitively, parameters
/// such as `; charset=utf-8` ignored).
fn has_content_type(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(expected))
}

/// Reads a body of the given media type within `limit` bytes: the declared length is checked before any
/// byte is read, the in-flight body budget is reserved, the stream is cut at the limit and must arrive
/// within the body timeout. Typed errors for the wrong media type, oversize, overload and slowness.
async fn read_body(
    s: &AppState,
    headers: &HeaderMap,
    body: Body,
    media: &str,
    limit: usize,
) -> Result<(Bytes, guard::BodyPermit), ApiError> {
    if !has_content_type(headers, media) {
        return Err(ApiError::new(
            Code::UnsupportedMediaType,
            format!("send the body as Content-Type: {media}"),
        ));
    }
    let too_large = || {
        ApiError::new(
            Code::BodyTooLarge,
            format!("the body exceeds the limit of {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let reserve = declared.map_or(limit, |n| n as usize);
    let permit = s.guards.reserve_body(reserve)?;
    let read = tokio::time::timeout(s.guards.body_timeout, axum::body::to_bytes(body, limit));
    let bytes = read.await.map_err(|_| {
        ApiError::new(
            Code::MalformedRequest,
            format!(
                "the body did not arrive within {} s",
                s.guards.body_timeout.as_secs()
            ),
        )
    })?;
    let bytes = bytes.map_err(|e| {
        let over = std::error::Error::source(&e)
            .is_some_and(|src| src.is::<http_body_util::LengthLimitError>());
        if over {
            too_large()
        } else {
            ApiError::new(
                Code::MalformedRequest,
                format!("could not read the body: {e}"),
            )
        }
    })?;
    Ok((bytes, permit))
}

/// A submission: body within limits, then cheap authentication (envelope opened, ML-DSA signature checked,
/// one slot per clinic) on a bounded set of blocking threads, and only then a verification-queue slot.
async fn submit(
    State(s): Shared,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<Accepted>, ApiError> {
    let round = parse_round(&raw)?;
    // The round's own limit (its set and size), checked against Content-Length before the body is read.
    let limit = blocking(&s, move |c| c.submission_limit(round)).await?;
    let (bytes, body_permit) =
        read_body(&s, &headers, body, "application/octet-stream", limit).await?;
    let auth_permit = s.guards.auth_slot()?;
    let staged = blocking(&s, move |c| {
        let staged = c.authenticate(round, &bytes);
        drop((bytes, body_permit, auth_permit));
        staged
    })
    .await?;
    let verdict = s.pool.submit(staged)?;
    verdict
        .await
        .map_err(|_| {
            ApiError::new(
                Code::ShuttingDown,
                "the verification worker stopped before answering",
            )
        })?
        .map(axum::Json)
}
