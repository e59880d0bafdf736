//! `zkfl._zkfl`: the native half of the `zkfl` Python package (python/zkfl/ is the Python half). A thin
//! layer over the Rust crates — the clinic pipeline of `zkfl_core::clinic`, the clinic keys, announcement
//! checks and HTTP client of `zkfl_aggregator`, and the service's own verifier — so Python runs exactly the
//! protocol the `zkfl` CLI runs. docs/PYTHON.md describes the API.
#![deny(missing_docs)]

mod clinic;
mod errors;
mod json;
mod server;

use pyo3::prelude::*;

/// The native module.
#[pymodule]
fn _zkfl(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    m.add_class::<clinic::Clinic>()?;
    m.add_class::<clinic::Announcement>()?;
    m.add_class::<clinic::Sealed>()?;
    m.add_class::<server::Server>()?;
    m.add_class::<server::Verifier>()?;
    m.add_function(wrap_pyfunction!(server::parameter_sets, m)?)?;
    m.add_function(wrap_pyfunction!(server::model_sha3, m)?)?;
    Ok(())
}
