//! Progress reporting to JavaScript. Long operations (training, encrypting and proving 108,996 parameters)
//! call back into the page's worker so it can draw a progress bar; the callback is
//! `(stage: string, done: number, total: number) => void`.

use crate::error::{ClinicError, ErrorCode};
use wasm_bindgen::JsValue;
use zkfl_core::zk::prove::UpdateSource;

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

/// Passes of `zk::prove` over the update when every rejection step accepts at its first try: norms and
/// slack, the commitment t_A, the JL projection, the masked opening and the response.
pub const PROVE_MIN_PASSES: u32 = 5;

/// Progress of the norm proof, observed from outside the prover: `zk::prove` reads the update chunk by chunk
/// through [`UpdateSource`] in each of its streaming passes, so this wrapper reports one step per chunk read
/// as stage `"prove"`. The total assumes [`PROVE_MIN_PASSES`] passes; each retry of a rejection step (one
/// or two more passes; at most `zk::prove::MAX_ATTEMPTS` retries) adds its passes to the total as it starts,
/// so the bar can step back a little. The prover has no progress hook of its own. Only the (public) read pattern is observed, never the chunks.
/// `UpdateSource::chunk` cannot fail, so a throwing callback is remembered, further reports are skipped,
/// and [`ProveProgress::finish`] returns the error after the prover returns.
pub struct ProveProgress<'a, U> {
    inner: U,
    sink: &'a mut dyn Progress,
    chunks: u32,
    reads: u32,
    failed: Option<ClinicError>,
}

impl<'a, U> ProveProgress<'a, U> {
    /// Wraps `inner` (an update of `chunks` chunks) and reports to `sink`.
    pub fn new(inner: U, chunks: usize, sink: &'a mut dyn Progress) -> Self {
        Self {
            inner,
            sink,
            chunks: u32::try_from(chunks).unwrap_or(u32::MAX).max(1),
            reads: 0,
            failed: None,
        }
    }

    /// `(done, total)` after the reads so far: total = max(minimum passes, passes started) · chunks.
    fn counts(&self) -> (u32, u32) {
        let pass = self.reads.div_ceil(self.chunks);
        (
            self.reads,
            PROVE_MIN_PASSES.max(pass).saturating_mul(self.chunks),
        )
    }

    /// Reports the end of the proof (done = total) or the callback's earlier error.
    pub fn finish(self) -> Result<u32, ClinicError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let passes = self.reads.div_ceil(self.chunks);
        self.sink.report("prove", self.reads, self.reads)?;
        Ok(passes)
    }
}

impl<const N: usize, U: UpdateSource<N>> UpdateSource<N> for ProveProgress<'_, U> {
    fn chunk(&mut self, j: usize, out: &mut [i64; N]) {
        self.inner.chunk(j, out);
        self.reads = self.reads.saturating_add(1);
        if self.failed.is_none() {
            let (done, total) = self.counts();
            if let Err(e) = self.sink.report("prove", done, total) {
                self.failed = Some(e);
            }
        }
    }
}
