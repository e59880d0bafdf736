//! JSON views of stored rounds (docs/API.md shapes).

use serde_json::{Value, json};

use crate::coordinator::RoundReport;
use crate::round::RoundPhase;
use crate::store::{RoundRecord, SubmissionRecord};

/// The signed announcement of a round.
#[must_use]
pub fn announcement(rec: &RoundRecord) -> Value {
    let a = &rec.announcement;
    json!({
        "round": a.round,
        "state": rec.state().as_str(),
        "param_set_id": a.param_set_id,
        "model_dim": a.model_dim,
        "model_sha3": hex::encode(a.model_sha3),
        "norm_bound": a.norm_bound,
        "scale": a.scale,
        "b_int": a.b_int.to_string(),
        "plaintext_modulus_t": a.t.to_string(),
        "opened_at": a.opened_at,
        "deadline": a.deadline,
        "kem_key_sha3": hex::encode(a.kem_key_sha3),
        "bfv_public_key_sha3": hex::encode(a.bfv_public_key_sha3),
        "model": a.model_spec.as_ref().map(ToString::to_string),
        "announcement": hex::encode(crate::round::encode_announcement(a)),
        "signature": hex::encode(&rec.signature),
    })
}

/// Round status with per-clinic decisions.
#[must_use]
pub fn status(report: &RoundReport) -> Value {
    let RoundReport {
        record: rec,
        submissions: subs,
        expected,
        timings,
        decryption_mode,
        decryption,
    } = report;
    let a = &rec.announcement;
    let rejected = subs.iter().filter(|s| !s.accepted).count();
    json!({
        "round": a.round,
        "state": rec.state().as_str(),
        "opened_at": a.opened_at,
        "deadline": a.deadline,
        "norm_bound": a.norm_bound,
        "scale": a.scale,
        "b_int": a.b_int.to_string(),
        "model_sha3": hex::encode(a.model_sha3),
        "expected": expected,
        "accepted": rec.accepted,
        "rejected": rejected,
        "unauthenticated_rejections": rec.unauthenticated_rejections,
        "submissions": subs.iter().map(submission).collect::<Vec<_>>(),
        "result": match &rec.phase {
            RoundPhase::Published { next_model_sha3, published_at } => json!({
                "accepted_count": rec.accepted,
                "next_model_sha3": hex::encode(next_model_sha3),
                "published_at": published_at,
            }),
            _ => Value::Null,
        },
        "failure": match &rec.phase {
            RoundPhase::Failed { code, message } => json!({"code": code, "message": message}),
            _ => Value::Null,
        },
        "decryption_mode": decryption_mode,
        "decryption": decryption,
        "timing_s": timings,
    })
}

fn submission(s: &SubmissionRecord) -> Value {
    json!({
        "clinic_id": s.clinic_id,
        "decision": if s.accepted { "accepted" } else { "rejected" },
        "code": s.code,
        "message": s.message,
        "digest": hex::encode(&s.digest),
        "received_at": s.received_at,
    })
}
