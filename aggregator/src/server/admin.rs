//! Admin endpoints (docs/API.md "Admin endpoints"): loopback peer, admin token, no browser `Origin`, loopback
//! `Host` — all checked before a body byte is read; JSON bodies are tiny and must say `application/json`.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::guard::require_admin;
use super::{Shared, blocking, parse_round, read_body, views};
use crate::coordinator::OpenRound;
use crate::error::{ApiError, Code};

/// Largest admin JSON body (an `OpenRound` is under 200 bytes).
const ADMIN_JSON_LIMIT: usize = 4096;

pub(super) async fn put_model(
    State(s): Shared,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    require_admin(&s, &peer, &headers)?;
    let (bytes, permit) =
        read_body(&s, &headers, body, "application/octet-stream", s.max_body).await?;
    let (h, dim) = blocking(&s, move |c| {
        let r = c.put_model(&bytes);
        drop(permit);
        r
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"model_sha3": hex::encode(h), "model_dim": dim})),
    ))
}

pub(super) async fn open_round(
    State(s): Shared,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    require_admin(&s, &peer, &headers)?;
    let (body, _permit) =
        read_body(&s, &headers, body, "application/json", ADMIN_JSON_LIMIT).await?;
    let req: OpenRound = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            Code::MalformedRequest,
            format!("expected {{norm_bound, scale, deadline_secs, model_sha3?}}: {e}"),
        )
    })?;
    let rec = blocking(&s, move |c| c.open_round(&req)).await?;
    Ok((StatusCode::CREATED, axum::Json(views::announcement(&rec))))
}

pub(super) async fn close_round(
    State(s): Shared,
    peer: ConnectInfo<SocketAddr>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    require_admin(&s, &peer, &headers)?;
    read_body(&s, &headers, body, "application/json", ADMIN_JSON_LIMIT).await?;
    let id = parse_round(&raw)?;
    let v = blocking(&s, move |c| {
        c.close_now(id)?;
        Ok(views::status(&c.round_report(id)?))
    })
    .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(v)))
}
