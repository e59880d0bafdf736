//! Typed Python exceptions. Every exception is a [`ZkflError`] whose `code` attribute is a stable string:
//! the aggregator API's error code (docs/API.md "Errors") for answers of `zkfl serve` and for local
//! verification, or one of the local codes below for what the package refuses before anything is sent.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::{PyTypeInfo, create_exception};
use zkfl_aggregator::client::ClientError;
use zkfl_core::clinic::ClinicError;
use zkfl_core::quant::QuantError;

create_exception!(
    zkfl,
    ZkflError,
    PyException,
    "Base class of every ZKFL-PQ error; `code` is a stable machine-readable string, `status` the HTTP status \
     for answers of the aggregator (else None)."
);
create_exception!(
    zkfl,
    InputError,
    ZkflError,
    "The update is not what the round takes: `wrong_dtype`, `wrong_shape`, `wrong_length`, `not_finite`, \
     `not_an_array`."
);
create_exception!(
    zkfl,
    KeysError,
    ZkflError,
    "A key directory from `zkfl keygen` is missing, unreadable or malformed: `keys`."
);
create_exception!(
    zkfl,
    AnnouncementError,
    ZkflError,
    "The round announcement or what it pins does not check out: `announcement_invalid` (signature or \
     contents; e.g. keys of another aggregator), `round_not_open`, `stale_announcement`, `model_mismatch`, \
     `bfv_key_mismatch`, `terms_invalid`."
);
create_exception!(
    zkfl,
    ApiError,
    ZkflError,
    "The aggregator refused: `code` is the API's error code (`proof_invalid`, `signature_invalid`, \
     `wrong_round`, `duplicate_submission`, ...) and `status` the HTTP status."
);
create_exception!(
    zkfl,
    TransportError,
    ZkflError,
    "The aggregator could not be reached or answered out of contract: `transport`, `decode`, `timeout`."
);
create_exception!(
    zkfl,
    PipelineError,
    ZkflError,
    "The clinic pipeline failed after its inputs were accepted: `encrypt_failed`, `prove_refused`, \
     `seal_failed`."
);

/// An exception of type `E` with `code` and `status` set on the instance.
pub fn raise<E: PyTypeInfo>(code: &str, status: Option<u16>, message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| {
        let err = PyErr::new::<E, _>(message);
        let value = err.value(py);
        // Setting attributes on a fresh exception instance cannot fail short of memory exhaustion; if it
        // does, the exception is still raised, without the attribute.
        let _ = value.setattr("code", code);
        let _ = value.setattr("status", status);
        err
    })
}

/// The Python exception for a failed API call.
pub fn client(e: ClientError) -> PyErr {
    match e {
        ClientError::Api { status, error } => {
            raise::<ApiError>(error.code.as_str(), Some(status), error.message)
        }
        ClientError::Transport(m) => raise::<TransportError>("transport", None, m),
        ClientError::Decode(m) => raise::<TransportError>("decode", None, m),
        ClientError::Timeout(m) => raise::<TransportError>("timeout", None, m),
        ClientError::BadAnnouncement(m) => raise::<AnnouncementError>(
            "announcement_invalid",
            None,
            format!("round announcement: {m}"),
        ),
    }
}

/// The Python exception for a refusal of the core clinic pipeline.
pub fn clinic(e: &ClinicError) -> PyErr {
    let message = e.to_string();
    match e {
        ClinicError::UpdateLength { .. }
        | ClinicError::Quantizer(QuantError::LengthMismatch { .. }) => {
            raise::<InputError>("wrong_length", None, message)
        }
        ClinicError::Quantizer(QuantError::NonFinite) => {
            raise::<InputError>("not_finite", None, message)
        }
        ClinicError::KeyHash => raise::<AnnouncementError>("bfv_key_mismatch", None, message),
        ClinicError::ParamSet(_)
        | ClinicError::Quantizer(_)
        | ClinicError::BInt { .. }
        | ClinicError::PlainModulus(_)
        | ClinicError::SmallT { .. }
        | ClinicError::PublicKey(_)
        | ClinicError::Chunks { .. } => raise::<AnnouncementError>("terms_invalid", None, message),
        ClinicError::Prove(_) | ClinicError::Cancelled => {
            raise::<PipelineError>("prove_refused", None, message)
        }
        ClinicError::Encrypt(_) | ClinicError::Encode(_) | ClinicError::MessageRange { .. } => {
            raise::<PipelineError>("encrypt_failed", None, message)
        }
        ClinicError::Seal(_) => raise::<PipelineError>("seal_failed", None, message),
    }
}

/// The Python exception for a verification refusal (the same codes `zkfl serve` answers with).
pub fn api(e: &zkfl_aggregator::error::ApiError) -> PyErr {
    raise::<ApiError>(e.code.as_str(), Some(e.code.status()), e.message.clone())
}

/// Registers the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ZkflError", py.get_type::<ZkflError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("KeysError", py.get_type::<KeysError>())?;
    m.add("AnnouncementError", py.get_type::<AnnouncementError>())?;
    m.add("ApiError", py.get_type::<ApiError>())?;
    m.add("TransportError", py.get_type::<TransportError>())?;
    m.add("PipelineError", py.get_type::<PipelineError>())?;
    Ok(())
}
