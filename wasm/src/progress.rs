//! Progress reporting to JavaScript. Long operations (training, encrypting and proving 108,996 parameters)
//! call back into the page's worker so it can draw a progress bar; the callback is
//! `(stage: string, done: number, total: number) => void`.

use crate::error::{ClinicError, ErrorCode};
use wasm_bindgen::JsValue;

/// A stage name and a `done / total` count.
pub trait Progress {
    /// Reports that `done` of `total` units of `stage` are complete. An error abandons the operation.
    fn report(&mut self, stage: &str, done: u32, total: u32) -> Result<(), ClinicError>;
}

/// Progress sink that ignores every report (native tests, callers without a callback).
pub struct Silent;

impl Progress for Silent {
    fn report(&mut self, _: &str, _: u32, _: u32) -> Result<(), ClinicError> {
        Ok(())
    }
}

/// Progress sink that calls a JavaScript function; a throwing callback becomes `ErrorCode::Callback`.
pub struct JsProgress<'a>(pub &'a js_sys::Function);

impl Progress for JsProgress<'_> {
    fn report(&mut self, stage: &str, done: u32, total: u32) -> Result<(), ClinicError> {
        self.0
            .call3(&JsValue::NULL, &stage.into(), &done.into(), &total.into())
            .map(|_| ())
            .map_err(|_| ClinicError::new(ErrorCode::Callback, "the progress callback threw"))
    }
}

/// A JS callback when one was given, otherwise `Silent`.
pub fn from_option(cb: Option<&js_sys::Function>) -> Box<dyn Progress + '_> {
    match cb {
        Some(f) => Box::new(JsProgress(f)),
        None => Box::new(Silent),
    }
}

/// Passes of the prover over the update at the least (the core pipeline reports one `"prove"` step per
/// chunk read, [`zkfl_core::clinic`]).
pub use zkfl_core::clinic::PROVE_MIN_PASSES;
