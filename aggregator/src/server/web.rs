//! Static files for `zkfl serve --web-dir DIR`: serves the browser clinic (`web-demo/`, docs/BROWSER.md) from
//! the same origin as the API, so the page needs no CORS. Only GET/HEAD of regular files strictly inside DIR;
//! a path with `..`, a backslash, NUL, `%` or a hidden component is refused, and so is a symlink that leaves DIR
//! (checked after canonicalisation). Unknown `/v1/...` paths keep the API's JSON `not_found` error.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Code};

/// Makes `api` serve the files of `dir` for every path that no API route matches.
pub fn with_web_dir(api: Router, dir: PathBuf) -> Router {
    let dir = Arc::new(dir);
    api.fallback(move |req: Request| serve(Arc::clone(&dir), req))
}

async fn serve(dir: Arc<PathBuf>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if path == "/v1" || path.starts_with("/v1/") {
        return ApiError::new(
            Code::NotFound,
            "no such endpoint; see docs/API.md (all paths start with /v1)",
        )
        .into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET and HEAD are served from --web-dir",
        )
            .into_response();
    }
    match tokio::task::spawn_blocking(move || load(&dir, &path)).await {
        Ok(Ok((bytes, mime))) => {
            let mut resp = bytes.into_response();
            let h = resp.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            resp
        }
        Ok(Err(status)) => (
            status,
            "not found in --web-dir; the clinic page is at /index.html",
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Reads the file for a URL path, or the HTTP status that explains why not.
fn load(dir: &Path, url_path: &str) -> Result<(Vec<u8>, &'static str), StatusCode> {
    let rel = relative_path(url_path).ok_or(StatusCode::NOT_FOUND)?;
    let root = dir.canonicalize().map_err(|_| StatusCode::NOT_FOUND)?;
    let mut file = root.join(rel);
    if file.is_dir() {
        file.push("index.html");
    }
    let file = file.canonicalize().map_err(|_| StatusCode::NOT_FOUND)?;
    if !file.starts_with(&root) || !file.is_file() {
        return Err(StatusCode::NOT_FOUND);
    }
    let bytes = std::fs::read(&file).map_err(|_| StatusCode::NOT_FOUND)?;
    Ok((bytes, mime_for(&file)))
}

/// The relative file path for a URL path, or `None` if it could escape the directory or names a hidden file.
fn relative_path(url_path: &str) -> Option<PathBuf> {
    let trimmed = url_path.trim_start_matches('/');
    if trimmed.contains(['\\', '\0', '%']) {
        return None;
    }
    let mut out = PathBuf::new();
    for comp in Path::new(trimmed).components() {
        match comp {
            Component::Normal(c) if !c.to_string_lossy().starts_with('.') => out.push(c),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Content type by extension; `.wasm` must be `application/wasm` for streaming compilation.
fn mime_for(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "csv" | "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "zkfl-web-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("index.html"), "<p>clinic</p>").unwrap();
        std::fs::write(dir.join("pkg/zkfl_wasm_bg.wasm"), b"\0asm").unwrap();
        std::fs::write(dir.join(".secret"), "no").unwrap();
        dir
    }

    #[test]
    fn serves_index_and_wasm_with_types() {
        let dir = site();
        let (b, m) = load(&dir, "/").unwrap();
        assert_eq!(
            (b.as_slice(), m),
            (&b"<p>clinic</p>"[..], "text/html; charset=utf-8")
        );
        assert_eq!(
            load(&dir, "/pkg/zkfl_wasm_bg.wasm").unwrap().1,
            "application/wasm"
        );
    }

    #[test]
    fn refuses_escapes_and_hidden_files() {
        let dir = site();
        for p in [
            "/../Cargo.toml",
            "/pkg/../../x",
            "/.secret",
            "/%2e%2e/x",
            "/a\\b",
            "/missing.js",
        ] {
            assert_eq!(load(&dir, p).err(), Some(StatusCode::NOT_FOUND), "{p}");
        }
    }
}
