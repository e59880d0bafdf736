//! JSON answers of the API as Python objects (through the standard `json` module, so the dicts are exactly
//! what docs/API.md documents).

use pyo3::prelude::*;
use pyo3::types::PyString;

/// Parses JSON bytes into Python objects.
pub fn loads<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let text = PyString::new(py, &String::from_utf8_lossy(bytes));
    py.import("json")?.call_method1("loads", (text,))
}

/// A serializable value as Python objects.
pub fn to_py<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let bytes = serde_json::to_vec(value).map_err(|e| {
        crate::errors::raise::<crate::errors::TransportError>("decode", None, e.to_string())
    })?;
    loads(py, &bytes)
}
