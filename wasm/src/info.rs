//! Build information for the page's "about" line and for checking that the page and the package agree.

use wasm_bindgen::prelude::wasm_bindgen;

/// Version of the `zkfl-wasm` package (the workspace version).
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").into()
}
