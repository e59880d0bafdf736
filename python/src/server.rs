//! The aggregator's side: a client for the round life cycle of a running `zkfl serve` (status, published
//! models, admin close), an offline verifier of sealed submissions with the aggregator's keys (the service's
//! own `CoreVerifier`), and the parameter sets' limits.

use std::path::PathBuf;
use std::time::Duration;

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use zkfl_aggregator::client::{Client, RetryPolicy};
use zkfl_aggregator::coordinator::sha3;
use zkfl_aggregator::crypto::CoreVerifier;
use zkfl_aggregator::keys::{KeyDir, Roster, read, read_secret};
use zkfl_aggregator::model::SetLimits;
use zkfl_aggregator::verify::{RoundContext, SubmissionVerifier};
use zkfl_core::channel::{KemSecretKey, MemoryReplayGuard, RoundId};

use crate::clinic::{Announcement, vector};
use crate::errors::{self, AnnouncementError, KeysError, TransportError};
use crate::json;

fn keys_error(e: impl std::fmt::Display) -> PyErr {
    errors::raise::<KeysError>("keys", None, e.to_string())
}

/// A client of a running `zkfl serve` for whoever drives the rounds (a Flower ServerApp, a script).
///
/// `Server(url="http://127.0.0.1:8787", keys=None, retries=5)`: `keys` is the aggregator's key directory
/// from `zkfl keygen`; with it, announcements are checked with the aggregator's verifying key
/// (`public/aggregator-vk.bin`) and admin requests carry the admin token (`aggregator/admin-token`).
#[pyclass(frozen, module = "zkfl")]
pub struct Server {
    client: Client,
    url: String,
    aggregator_vk: Option<Vec<u8>>,
}

impl Server {
    fn status_json<'py>(&self, py: Python<'py>, round: u64) -> PyResult<Bound<'py, PyAny>> {
        let bytes = py
            .detach(|| self.client.get_bytes(&format!("/v1/rounds/{round}")))
            .map_err(errors::client)?;
        json::loads(py, &bytes)
    }
}

#[pymethods]
impl Server {
    #[new]
    #[pyo3(signature = (url = "http://127.0.0.1:8787", keys = None, retries = 5))]
    fn new(url: &str, keys: Option<PathBuf>, retries: u32) -> PyResult<Self> {
        let mut client = Client::new(url).with_retry(RetryPolicy {
            attempts: retries + 1,
            ..RetryPolicy::default()
        });
        let mut aggregator_vk = None;
        if let Some(dir) = keys {
            let kd = KeyDir(dir.clone());
            aggregator_vk = Some(read(&kd.public("aggregator-vk.bin")).map_err(keys_error)?);
            if kd.admin_token().exists() {
                client = client.with_admin_token_from(&dir).map_err(errors::client)?;
            }
        }
        Ok(Self {
            client,
            url: url.trim_end_matches('/').to_owned(),
            aggregator_vk,
        })
    }

    /// The aggregator URL.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// `GET /v1/health`.
    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = py.detach(|| self.client.health()).map_err(errors::client)?;
        json::to_py(py, &v)
    }

    /// `GET /v1/params`: the service's parameter set, roster size, key hashes.
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = py.detach(|| self.client.params()).map_err(errors::client)?;
        json::to_py(py, &v)
    }

    /// The current round announcement, its signature checked with the aggregator's verifying key (needs
    /// `keys`). Unlike `Clinic.announcement()`, a round that is not open is returned as it is.
    fn announcement(&self, py: Python<'_>) -> PyResult<Announcement> {
        let vk = self.aggregator_vk.as_deref().ok_or_else(|| {
            keys_error(
                "Server(keys=...) is needed to check announcements with the aggregator's key",
            )
        })?;
        let current = py
            .detach(|| self.client.current_round())
            .map_err(errors::client)?;
        let signed = current.verify(vk).map_err(errors::client)?;
        Ok(Announcement::new(signed, current.state))
    }

    /// `GET /v1/rounds/{round}`: state, accepted and rejected counts, per-clinic decisions with codes.
    fn status<'py>(&self, py: Python<'py>, round: u64) -> PyResult<Bound<'py, PyAny>> {
        self.status_json(py, round)
    }

    /// Waits until round `round` is in one of `states` (default: `published` or `failed`) and returns its
    /// status; TransportError `timeout` after `timeout` seconds.
    #[pyo3(signature = (round, states = vec!["published".to_owned(), "failed".to_owned()], timeout = 600.0))]
    fn wait<'py>(
        &self,
        py: Python<'py>,
        round: u64,
        states: Vec<String>,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let states: Vec<&str> = states.iter().map(String::as_str).collect();
        let timeout = Duration::try_from_secs_f64(timeout).map_err(|e| {
            errors::raise::<TransportError>("timeout", None, format!("timeout: {e}"))
        })?;
        py.detach(|| self.client.wait_for(RoundId(round), &states, timeout))
            .map_err(errors::client)?;
        self.status_json(py, round)
    }

    /// `POST /v1/admin/rounds/{round}/close` (loopback, admin token from `keys`): closes the round now.
    fn close<'py>(&self, py: Python<'py>, round: u64) -> PyResult<Bound<'py, PyAny>> {
        let bytes = py
            .detach(|| {
                self.client.post_bytes(
                    &format!("/v1/admin/rounds/{round}/close"),
                    "application/json",
                    b"{}",
                )
            })
            .map_err(errors::client)?;
        json::loads(py, &bytes)
    }

    /// `GET /v1/models/{round}`: the global model round `round` starts from.
    fn model<'py>(&self, py: Python<'py>, round: u64) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let m = py
            .detach(|| self.client.model(RoundId(round)))
            .map_err(errors::client)?;
        Ok(PyArray1::from_vec(py, m))
    }

    /// `GET /v1/rounds/{round}/update`: the published mean update (decrypted only as a sum).
    fn update<'py>(&self, py: Python<'py>, round: u64) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let m = py
            .detach(|| self.client.update(RoundId(round)))
            .map_err(errors::client)?;
        Ok(PyArray1::from_vec(py, m))
    }

    /// The model published by round `round` (w_{round+1} = w_round + the mean of the accepted updates),
    /// checked against the published `next_model_sha3` (AnnouncementError `model_mismatch`).
    fn published_model<'py>(
        &self,
        py: Python<'py>,
        round: u64,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let status = self.status_json(py, round)?;
        let state: String = status.get_item("state")?.extract()?;
        if state != "published" {
            return Err(errors::raise::<AnnouncementError>(
                "round_not_open",
                None,
                format!("round {round} is {state}, not published"),
            ));
        }
        let want: String = status
            .get_item("result")?
            .get_item("next_model_sha3")?
            .extract()?;
        let m = py
            .detach(|| self.client.model(RoundId(round + 1)))
            .map_err(errors::client)?;
        if hex::encode(sha3(&zkfl_aggregator::model::encode(&m))) != want {
            return Err(errors::raise::<AnnouncementError>(
                "model_mismatch",
                None,
                format!(
                    "the served model {} is not the one round {round} published",
                    round + 1
                ),
            ));
        }
        Ok(PyArray1::from_vec(py, m))
    }

    fn __repr__(&self) -> String {
        format!("Server(url={:?})", self.url)
    }
}

/// Opens and verifies sealed submissions with the aggregator's keys, as `zkfl serve` does before adding
/// a submission to the sum (envelope, roster signature, ciphertext, norm proof), without a running server.
///
/// `Verifier(keys, max_submission_len=16 MiB)`: `keys` is the aggregator's key directory from `zkfl keygen`
/// (it reads the ML-KEM seed, the roster and the BFV public key).
#[pyclass(frozen, module = "zkfl")]
pub struct Verifier {
    inner: CoreVerifier,
}

#[pymethods]
impl Verifier {
    #[new]
    #[pyo3(signature = (keys, max_submission_len = 16 << 20))]
    fn new(keys: PathBuf, max_submission_len: usize) -> PyResult<Self> {
        let dir = KeyDir(keys);
        let roster: Roster =
            serde_json::from_slice(&read(&dir.public("roster.json")).map_err(keys_error)?)
                .map_err(|e| keys_error(format!("roster.json: {e}")))?;
        let limits = SetLimits::of(&roster.param_set).ok_or_else(|| {
            keys_error(format!(
                "roster: unknown parameter set {:?}",
                roster.param_set
            ))
        })?;
        let kem_seed = read_secret::<64>(&dir.kem_seed()).map_err(keys_error)?;
        Ok(Self {
            inner: CoreVerifier {
                kem: KemSecretKey::from_seed(&kem_seed),
                roster: zkfl_aggregator::service::roster_keys(&roster).map_err(keys_error)?,
                limits,
                max_submission_len,
                bfv_public_key: Some(read(&dir.public("bfv-public.bin")).map_err(keys_error)?),
            },
        })
    }

    /// Opens `envelope` (bytes) and verifies it for `announcement`'s round: returns `{"clinic_id", "round",
    /// "digest"}`, or raises ApiError with the code `zkfl serve` would answer (`envelope_open_failed`,
    /// `signature_invalid`, `unknown_clinic`, `parameter_mismatch`, `ciphertext_malformed`,
    /// `proof_invalid`, ...). The GIL is released while verifying. Replay marks are not kept between calls.
    fn verify<'py>(
        &self,
        py: Python<'py>,
        envelope: &[u8],
        announcement: &Announcement,
    ) -> PyResult<Bound<'py, PyDict>> {
        let ctx = RoundContext::of(&announcement.signed);
        let auth = py
            .detach(|| {
                let mut guard = MemoryReplayGuard::<1>::new();
                let auth = self.inner.authenticate(envelope, &ctx, &mut guard)?;
                self.inner.verify(&auth, &ctx).map(|()| auth)
            })
            .map_err(|e| errors::api(&e))?;
        let out = PyDict::new(py);
        out.set_item("clinic_id", auth.clinic_id.0)?;
        out.set_item("round", auth.round.0)?;
        out.set_item("digest", hex::encode(&auth.digest))?;
        Ok(out)
    }
}

/// The parameter sets' limits: `{"S": {...}, "L": {...}}` with `id`, `ring_degree`, `modulus_q` (str),
/// `max_chunks`, `max_model_dim` and `b_max` (the largest proven bound B_int).
#[pyfunction]
pub fn parameter_sets(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    for name in ["S", "L"] {
        let Some(l) = SetLimits::of(name) else {
            continue;
        };
        let d = PyDict::new(py);
        d.set_item("id", l.id)?;
        d.set_item("ring_degree", l.ring_degree)?;
        d.set_item("modulus_q", l.modulus_q.to_string())?;
        d.set_item("max_chunks", l.max_chunks)?;
        d.set_item("max_model_dim", l.max_model_dim())?;
        d.set_item("b_max", l.b_max)?;
        out.set_item(name, d)?;
    }
    Ok(out)
}

/// SHA3-256 of a float32 model as the aggregator hashes it (little-endian bytes): the announcement's
/// `model_sha3`.
#[pyfunction]
pub fn model_sha3<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let v = vector(model)?;
    Ok(PyBytes::new(
        py,
        &sha3(&zkfl_aggregator::model::encode(&v.values()?)),
    ))
}
