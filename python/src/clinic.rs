//! The clinic side: a clinic's own keys, the signed round announcement, and the one core pipeline
//! (`zkfl_core::clinic`: clip, quantize, BFV-encrypt, prove, sign, seal) over a NumPy float32 vector,
//! submitted to `zkfl serve` with the Rust client's retries. The update is read in place under the GIL
//! (quantizing copies it into the integer message); encryption, proof, sealing and network waits run with
//! the GIL released.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_aggregator::client::{Client, RetryPolicy};
use zkfl_aggregator::clinic::ClinicKeys;
use zkfl_aggregator::coordinator::{now, sha3};
use zkfl_aggregator::round::Announcement as Signed;
use zkfl_core::channel::RoundId;
use zkfl_core::clinic::{ProofKind, PublicKey, Round, RoundTerms, Silent};

use crate::errors::{self, AnnouncementError, InputError, KeysError, PipelineError};
use crate::json;

/// A round announcement whose ML-DSA-65 signature was checked with a pinned aggregator key.
#[pyclass(frozen, module = "zkfl")]
pub struct Announcement {
    pub(crate) signed: Signed,
    state: String,
}

impl Announcement {
    pub(crate) fn new(signed: Signed, state: String) -> Self {
        Self { signed, state }
    }
}

#[pymethods]
impl Announcement {
    /// Round number.
    #[getter]
    fn round(&self) -> u64 {
        self.signed.round.0
    }
    /// Round state when fetched (`open`, `closing`, `decrypting`, `published`, `failed`).
    #[getter]
    fn state(&self) -> &str {
        &self.state
    }
    /// Number of model parameters.
    #[getter]
    fn model_dim(&self) -> u32 {
        self.signed.model_dim
    }
    /// Clip bound τ on the update's l2 norm.
    #[getter]
    fn norm_bound(&self) -> f64 {
        self.signed.norm_bound
    }
    /// Quantization scale S.
    #[getter]
    fn scale(&self) -> f64 {
        self.signed.scale
    }
    /// The proven integer bound B_int on the quantized update's l2 norm.
    #[getter]
    fn b_int(&self) -> u64 {
        self.signed.b_int
    }
    /// BFV plaintext modulus t.
    #[getter]
    fn plaintext_modulus(&self) -> u64 {
        self.signed.t
    }
    /// Unix time the round opened.
    #[getter]
    fn opened_at(&self) -> u64 {
        self.signed.opened_at
    }
    /// Unix time of the round's deadline.
    #[getter]
    fn deadline(&self) -> u64 {
        self.signed.deadline
    }
    /// SHA3-256 of the global model the round starts from (little-endian float32 bytes).
    #[getter]
    fn model_sha3<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.signed.model_sha3)
    }
    /// SHA3-256 of the round's BFV public key.
    #[getter]
    fn bfv_public_key_sha3<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.signed.bfv_public_key_sha3)
    }
    /// The signed model spec (`logistic:3,2`, `mlp:784,128,64,4`, `cox:39`) or None for a bare vector.
    #[getter]
    fn model(&self) -> Option<String> {
        self.signed.model_spec.as_ref().map(ToString::to_string)
    }
    /// Whether `model` (a float32 vector) is the global model this round announces.
    fn matches_model(&self, model: &Bound<'_, PyAny>) -> PyResult<bool> {
        let v = vector(model)?;
        Ok(sha3(&zkfl_aggregator::model::encode(&v.values()?)) == self.signed.model_sha3)
    }
    /// Whether the deadline has passed.
    fn expired(&self) -> bool {
        now() >= self.signed.deadline
    }
    fn __repr__(&self) -> String {
        format!(
            "Announcement(round={}, state={:?}, model_dim={}, norm_bound={}, scale={}, b_int={})",
            self.signed.round,
            self.state,
            self.signed.model_dim,
            self.signed.norm_bound,
            self.signed.scale,
            self.signed.b_int
        )
    }
}

/// A sealed submission ready to be sent, with what the clinic may keep about it.
#[pyclass(frozen, module = "zkfl")]
pub struct Sealed {
    /// The sealed, signed envelope (the POST body).
    #[pyo3(get)]
    envelope: Py<PyBytes>,
    /// Round number.
    #[pyo3(get)]
    round: u64,
    /// The clinic's roster id.
    #[pyo3(get)]
    clinic_id: u32,
    /// The envelope's sequence number in the round.
    #[pyo3(get)]
    sequence: u64,
    /// The float update's l2 norm before clipping.
    #[pyo3(get)]
    norm: f64,
    /// Whether the update was clipped to τ.
    #[pyo3(get)]
    clipped: bool,
    /// Which prover made the proof: `honest`, or `cheating`/`forged` (attack simulation).
    #[pyo3(get)]
    proof_kind: &'static str,
    /// Seconds: quantize + encrypt, prove, sign + seal.
    #[pyo3(get)]
    timings: Py<PyDict>,
}

#[pymethods]
impl Sealed {
    fn __repr__(&self) -> String {
        format!(
            "Sealed(round={}, clinic_id={}, sequence={}, norm={:.4}, clipped={}, proof_kind={:?})",
            self.round, self.clinic_id, self.sequence, self.norm, self.clipped, self.proof_kind
        )
    }
}

/// A float32 NumPy vector, read in place where it is contiguous.
pub(crate) struct Vector<'py>(PyReadonlyArray1<'py, f32>);

impl Vector<'_> {
    /// The values (a copy, for what must own them).
    pub(crate) fn values(&self) -> PyResult<Vec<f32>> {
        Ok(self
            .0
            .to_vec()
            .unwrap_or_else(|_| self.0.as_array().to_vec()))
    }
}

/// Checks that `obj` is a 1-D float32 NumPy array (typed [`InputError`] otherwise).
pub(crate) fn vector<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Vector<'py>> {
    if let Ok(a) = obj.cast::<PyArray1<f32>>() {
        return Ok(Vector(a.readonly()));
    }
    let Ok(a) = obj.cast::<PyUntypedArray>() else {
        return Err(errors::raise::<InputError>(
            "not_an_array",
            None,
            format!(
                "the update must be a 1-D numpy.float32 array, not {}",
                obj.get_type().name()?
            ),
        ));
    };
    if a.ndim() != 1 {
        return Err(errors::raise::<InputError>(
            "wrong_shape",
            None,
            format!(
                "the update must be 1-D (flatten it with .ravel()); got shape {:?}",
                a.shape()
            ),
        ));
    }
    Err(errors::raise::<InputError>(
        "wrong_dtype",
        None,
        format!(
            "the update must have dtype float32 in native byte order, not {} (use .astype(numpy.float32))",
            a.dtype().str()?
        ),
    ))
}

/// Seconds since `t`.
fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn os_rng() -> PyResult<ChaCha20Rng> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| {
        errors::raise::<PipelineError>("seal_failed", None, format!("OS randomness: {e}"))
    })?;
    let rng = ChaCha20Rng::from_seed(seed);
    zeroize::Zeroize::zeroize(&mut seed);
    Ok(rng)
}

/// One clinic of a `zkfl serve` federation.
///
/// `Clinic(keys, server="http://127.0.0.1:8787", retries=5)`: `keys` is this clinic's own directory from
/// `zkfl keygen` (`<keys>/clinics/<id>`: `clinic-id`, `sign-seed.bin` and the pinned aggregator keys).
#[pyclass(frozen, module = "zkfl")]
pub struct Clinic {
    keys: ClinicKeys,
    client: Client,
    server: String,
    /// The served BFV key, kept per announced hash (one download per key, not per round).
    bfv: Mutex<Option<PublicKey>>,
    sequence: AtomicU64,
}

impl Clinic {
    /// The core pipeline's round for `a`: the served BFV key (fetched once per announced hash) checked
    /// against the announcement, the announced terms checked against its set (S, L or XL).
    fn round(&self, py: Python<'_>, a: &Signed) -> PyResult<Round> {
        let chunks = zkfl_core::clinic::chunks_for(a.param_set_id, a.model_dim).unwrap_or(0);
        let cached = self
            .bfv
            .lock()
            .map_err(|_| errors::raise::<PipelineError>("seal_failed", None, "key cache poisoned"))?
            .clone()
            .filter(|pk| pk.sha3() == a.bfv_public_key_sha3 && pk.chunks() >= chunks);
        let pk = match cached {
            Some(pk) => pk,
            None => {
                let served = py
                    .detach(|| self.client.bfv_key())
                    .map_err(errors::client)?;
                let pk = PublicKey::decode_for_model(&served, a.model_dim)
                    .map_err(|e| errors::clinic(&e))?;
                if let Ok(mut slot) = self.bfv.lock() {
                    *slot = Some(pk.clone());
                }
                pk
            }
        };
        Round::new(RoundTerms::of(a), pk, self.keys.kem.clone()).map_err(|e| errors::clinic(&e))
    }

    /// Refuses an announcement that is no longer usable for a submission.
    fn check_fresh(a: &Announcement) -> PyResult<()> {
        if a.state != "open" {
            return Err(errors::raise::<AnnouncementError>(
                "round_not_open",
                None,
                format!("round {} is {}, not open", a.signed.round, a.state),
            ));
        }
        if a.expired() {
            return Err(errors::raise::<AnnouncementError>(
                "stale_announcement",
                None,
                format!(
                    "round {}'s deadline passed; fetch the current announcement",
                    a.signed.round
                ),
            ));
        }
        Ok(())
    }

    /// The pipeline with the honest or the attack-simulation prover.
    fn seal_with(
        &self,
        py: Python<'_>,
        update: &Bound<'_, PyAny>,
        a: &Announcement,
        sequence: Option<u64>,
        poisoned: bool,
    ) -> PyResult<Sealed> {
        Self::check_fresh(a)?;
        let v = vector(update)?;
        let round = self.round(py, &a.signed)?;
        let t0 = Instant::now();
        // Zero-copy read of the NumPy buffer under the GIL (a non-contiguous view is copied first).
        let owned;
        let values: &[f32] = match v.0.as_slice() {
            Ok(s) => s,
            Err(_) => {
                owned = v.values()?;
                &owned
            }
        };
        let norm = values
            .iter()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            .sqrt();
        let m = if poisoned {
            round.quantize_unclipped(values)
        } else {
            round.quantize(values)
        }
        .map_err(|e| errors::clinic(&e))?;
        let quantize_s = secs(t0);
        let id = self.keys.id.0;
        let seq = sequence.unwrap_or_else(|| self.sequence.fetch_add(1, Ordering::Relaxed));
        let mut rng = os_rng()?;
        let (envelope, kind, enc_s, prove_s, seal_s) = py
            .detach(|| {
                let t = Instant::now();
                let enc = round.encrypt(&m, &mut rng, &mut Silent)?;
                let enc_s = secs(t);
                let t = Instant::now();
                let proof = if poisoned {
                    round.prove_cheating(&enc, &m, id, &mut rng, &mut Silent)?
                } else {
                    round.prove(&enc, &m, id, &mut rng, &mut Silent)?
                };
                let prove_s = secs(t);
                let t = Instant::now();
                let env =
                    round.seal(enc.ciphertext(), &proof, id, &self.keys.sign, seq, &mut rng)?;
                Ok((env, proof.kind(), enc_s, prove_s, secs(t)))
            })
            .map_err(|e: zkfl_core::clinic::ClinicError| errors::clinic(&e))?;
        let timings = PyDict::new(py);
        timings.set_item("encrypt", quantize_s + enc_s)?;
        timings.set_item("prove", prove_s)?;
        timings.set_item("seal", seal_s)?;
        Ok(Sealed {
            envelope: PyBytes::new(py, &envelope).unbind(),
            round: a.signed.round.0,
            clinic_id: id,
            sequence: seq,
            norm,
            clipped: !poisoned && norm > a.signed.norm_bound,
            proof_kind: match kind {
                ProofKind::Honest => "honest",
                ProofKind::Cheating => "cheating",
                ProofKind::Forged => "forged",
            },
            timings: timings.unbind(),
        })
    }
}

#[pymethods]
impl Clinic {
    #[new]
    #[pyo3(signature = (keys, server = "http://127.0.0.1:8787", retries = 5))]
    fn new(keys: PathBuf, server: &str, retries: u32) -> PyResult<Self> {
        let id_file = keys.join("clinic-id");
        let id = std::fs::read_to_string(&id_file)
            .map_err(|e| {
                errors::raise::<KeysError>(
                    "keys",
                    None,
                    format!(
                        "{}: {e} (keys is this clinic's directory from `zkfl keygen`, e.g. keys/clinics/1)",
                        id_file.display()
                    ),
                )
            })?
            .trim()
            .parse()
            .map_err(|_| {
                errors::raise::<KeysError>(
                    "keys",
                    None,
                    format!("{}: not a clinic id", id_file.display()),
                )
            })?;
        let keys = ClinicKeys::load_dir(&keys, id)
            .map_err(|e| errors::raise::<KeysError>("keys", None, e))?;
        let client = Client::new(server).with_retry(RetryPolicy {
            attempts: retries + 1,
            ..RetryPolicy::default()
        });
        Ok(Self {
            keys,
            client,
            server: server.to_owned(),
            bfv: Mutex::new(None),
            sequence: AtomicU64::new(1),
        })
    }

    /// The clinic's roster id.
    #[getter]
    fn id(&self) -> u32 {
        self.keys.id.0
    }

    /// The aggregator URL.
    #[getter]
    fn server(&self) -> &str {
        &self.server
    }

    /// Fetches the current round announcement and checks its ML-DSA-65 signature with the pinned aggregator
    /// key. Raises AnnouncementError (`announcement_invalid`: signature or contents, e.g. the keys of
    /// another aggregator; `round_not_open`; `stale_announcement`: deadline passed).
    fn announcement(&self, py: Python<'_>) -> PyResult<Announcement> {
        let current = py
            .detach(|| self.client.current_round())
            .map_err(errors::client)?;
        let signed = current
            .verify(&self.keys.aggregator_vk)
            .map_err(errors::client)?;
        let a = Announcement::new(signed, current.state);
        Self::check_fresh(&a)?;
        Ok(a)
    }

    /// Downloads the round's global model and checks it against the announced hash (`model_mismatch`).
    fn global_model<'py>(
        &self,
        py: Python<'py>,
        announcement: &Announcement,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let r = announcement.signed.round;
        let model = py.detach(|| self.client.model(r)).map_err(errors::client)?;
        if sha3(&zkfl_aggregator::model::encode(&model)) != announcement.signed.model_sha3 {
            return Err(errors::raise::<AnnouncementError>(
                "model_mismatch",
                None,
                format!(
                    "the served model of round {r} is not the announced one (SHA3-256 differs)"
                ),
            ));
        }
        Ok(PyArray1::from_vec(py, model))
    }

    /// Clips the update to τ, quantizes, BFV-encrypts, proves ‖m‖₂ ≤ B_int, signs and seals it for
    /// `announcement`'s round. `update` is a 1-D float32 array of `model_dim` finite values (InputError:
    /// `wrong_dtype`, `wrong_shape`, `wrong_length`, `not_finite`). The GIL is released while encrypting,
    /// proving and sealing. `sequence`: the envelope's sequence number (default: 1, 2, ... per Clinic).
    #[pyo3(signature = (update, announcement, sequence = None))]
    fn seal(
        &self,
        py: Python<'_>,
        update: &Bound<'_, PyAny>,
        announcement: &Announcement,
        sequence: Option<u64>,
    ) -> PyResult<Sealed> {
        self.seal_with(py, update, announcement, sequence, false)
    }

    /// **Attack simulation** (the poisoning clinic of `zkfl demo` and of the Flower example): quantizes
    /// without clipping and runs the prover with its norm checks removed, or forges a proof when even that
    /// finds no transcript. The aggregator must reject what this makes (`proof_invalid`).
    #[pyo3(signature = (update, announcement, sequence = None))]
    fn seal_poisoned(
        &self,
        py: Python<'_>,
        update: &Bound<'_, PyAny>,
        announcement: &Announcement,
        sequence: Option<u64>,
    ) -> PyResult<Sealed> {
        self.seal_with(py, update, announcement, sequence, true)
    }

    /// POSTs a sealed submission (retrying busy answers and refused connections) and returns the
    /// aggregator's verdict as a dict (`round`, `clinic_id`, `decision`, `digest`, `accepted_so_far`).
    /// A rejection raises ApiError with the API's code (`proof_invalid`, `wrong_round`, ...).
    fn send<'py>(&self, py: Python<'py>, sealed: &Sealed) -> PyResult<Bound<'py, PyAny>> {
        let body = sealed.envelope.bind(py).as_bytes().to_vec();
        let round = sealed.round;
        let ok = py
            .detach(|| self.client.submit(RoundId(round), &body))
            .map_err(errors::client)?;
        json::to_py(py, &ok)
    }

    /// `announcement()` (if not given), `seal()` and `send()`: returns the verdict dict with the sealed
    /// submission's `norm`, `clipped` and `timings` added.
    #[pyo3(signature = (update, announcement = None))]
    fn submit<'py>(
        &self,
        py: Python<'py>,
        update: &Bound<'py, PyAny>,
        announcement: Option<&Announcement>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fetched;
        let a = match announcement {
            Some(a) => a,
            None => {
                fetched = self.announcement(py)?;
                &fetched
            }
        };
        let sealed = self.seal(py, update, a, None)?;
        let verdict = self.send(py, &sealed)?;
        verdict.set_item("norm", sealed.norm)?;
        verdict.set_item("clipped", sealed.clipped)?;
        verdict.set_item("timings", sealed.timings.bind(py))?;
        Ok(verdict)
    }

    fn __repr__(&self) -> String {
        format!("Clinic(id={}, server={:?})", self.keys.id, self.server)
    }
}
