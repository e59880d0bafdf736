//! Admin endpoints (docs/API.md "Admin endpoints"), for loopback peers only.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::{Shared, blocking, is_admin_peer, parse_round, read_binary, views};
use crate::coordinator::OpenRound;
use crate::error::{ApiError, Code};

fn require_loopback(peer: &SocketAddr) -> Result<(), ApiError> {
    if is_admin_peer(peer) {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::AdminForbidden,
            "admin endpoints only answer loopback peers; run the request on the aggregator host",
        ))
    }
}

pub(super) async fn put_model(
    State(s): Shared,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    require_loopback(&peer)?;
    let bytes = read_binary(&s, &headers, body).await?;
    let (h, dim) = blocking(&s, move |c| c.put_model(&bytes)).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"model_sha3": hex::encode(h), "model_dim": dim})),
    ))
}

pub(super) async fn open_round(
    State(s): Shared,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    require_loopback(&peer)?;
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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(raw): Path<String>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    require_loopback(&peer)?;
    let id = parse_round(&raw)?;
    let v = blocking(&s, move |c| {
        c.close_now(id)?;
        let rec = c
            .store()
            .round(id)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::internal("round vanished"))?;
        let subs = c.store().submissions(id).map_err(ApiError::internal)?;
        Ok(views::status(
            &rec,
            &subs,
            c.facts().roster_size,
            c.timings(id),
        ))
    })
    .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(v)))
}
