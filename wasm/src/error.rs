//! Typed errors seen by JavaScript. Every failure reaches the page as a JS `Error` whose `name` is
//! `"ZkflError"` and whose `code` names the step that failed, so the page can say what happened and what to do
//! next without parsing messages.

use core::fmt;
use std::string::{String, ToString};

/// Which step of the clinic's flow failed. The string form (`as_str`) is the `code` property of the JS error
/// and is part of the page's interface: do not rename a variant without updating `web-demo/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// An argument from JavaScript had the wrong length, shape or range.
    BadInput,
    /// Parameter-set id, public key or round information could not be decoded or is inconsistent.
    BadParams,
    /// The browser's random source (`crypto.getRandomValues`) failed.
    Rng,
    /// Clipping, quantization or BFV encryption refused the update.
    Encrypt,
    /// The zero-knowledge prover failed.
    Prove,
    /// Signing or sealing the submission envelope failed.
    Seal,
    /// The progress callback threw an exception; the operation was abandoned.
    Callback,
    /// Local training failed (bad data shape, empty data set).
    Train,
    /// The round announcement is malformed, or its ML-DSA-65 signature does not verify under the pinned
    /// aggregator key, or what it signs disagrees with what was served (model, keys).
    BadAnnouncement,
    /// The round uses a parameter set the browser clinic does not run (sets L and XL: docs/BROWSER.md);
    /// the clinic submits with `zkfl clinic` or the Python package instead.
    UnsupportedSet,
}

impl ErrorCode {
    /// Stable string used as the JS error's `code` property.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadInput => "BadInput",
            Self::BadParams => "BadParams",
            Self::Rng => "Rng",
            Self::Encrypt => "Encrypt",
            Self::Prove => "Prove",
            Self::Seal => "Seal",
            Self::Callback => "Callback",
            Self::Train => "Train",
            Self::BadAnnouncement => "BadAnnouncement",
            Self::UnsupportedSet => "UnsupportedSet",
        }
    }
}

/// An error of the bindings: a code for programs and a message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClinicError {
    code: ErrorCode,
    message: String,
}

impl ClinicError {
    /// Builds an error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Builds an error from any displayable core error, keeping its text.
    pub fn from_display(code: ErrorCode, err: impl fmt::Display) -> Self {
        Self {
            code,
            message: err.to_string(),
        }
    }

    /// The step that failed.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ClinicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl From<ClinicError> for wasm_bindgen::JsValue {
    fn from(err: ClinicError) -> Self {
        let js = js_sys::Error::new(&err.message);
        js.set_name("ZkflError");
        // Reflect::set only fails on frozen or proxy objects; a fresh Error is neither, and if it ever failed
        // the error would still carry its name and message.
        let _ = js_sys::Reflect::set(&js, &"code".into(), &err.code.as_str().into());
        js.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_code_and_message() {
        let e = ClinicError::new(ErrorCode::BadInput, "seed must be 32 bytes");
        assert_eq!(e.to_string(), "BadInput: seed must be 32 bytes");
        assert_eq!(e.code(), ErrorCode::BadInput);
        assert_eq!(e.message(), "seed must be 32 bytes");
    }

    #[test]
    fn codes_are_distinct() {
        let all = [
            ErrorCode::BadInput,
            ErrorCode::BadParams,
            ErrorCode::Rng,
            ErrorCode::Encrypt,
            ErrorCode::Prove,
            ErrorCode::Seal,
            ErrorCode::Callback,
            ErrorCode::Train,
            ErrorCode::BadAnnouncement,
            ErrorCode::UnsupportedSet,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.as_str(), b.as_str());
            }
        }
    }
}
