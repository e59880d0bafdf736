//! Static files for `zkfl serve --web-dir DIR`: serves the browser clinic (`web-demo/`, docs/BROWSER.md) from
//! the same origin as the API, so the page needs no CORS. Only GET/HEAD of regular files strictly inside DIR;
//! a path with `..`, a backslash, NUL, `%` or a hidden component is refused, and so is a symlink that leaves DIR
//! (checked after canonicalisation). Unknown `/v1/...` paths keep the API's JSON `not_found` error.
//!
//! [`with_compression_and_etags`] makes repeat visits cheap: every successful GET carries a content-hash
//! `ETag` and `Cache-Control: no-cache`, so a browser revalidates and gets `304 Not Modified` (no body) for
//! the page, its 1.1 MB wasm, the ≈ 0.8 MB BFV key and the model it already has; bodies are gzip/brotli
//! compressed when the client asks (`Accept-Encoding`).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::compression::CompressionLayer;

use crate::error::{ApiError, Code};

/// Makes `api` serve the files of `dir` for every path that no API route matches.
pub fn with_web_dir(api: Router, dir: PathBuf) -> Router {
    let dir = Arc::new(dir);
    api.fallback(move |req: Request| serve(Arc::clone(&dir), req))
}

/// Wraps the whole service (API and `--web-dir` files): content-hash ETags with `If-None-Match` → 304 on every
/// successful GET, then gzip/brotli compression of the body when the client accepts it. The ETag is weak
/// (`W/"…"`): it names the uncompressed content, which every encoding of it represents.
pub fn with_compression_and_etags(app: Router) -> Router {
    app.layer(middleware::from_fn(conditional_get))
        .layer(CompressionLayer::new())
}

/// Adds an ETag (SHA3-256 of the body, first 16 bytes) to a successful GET answer and answers
/// `304 Not Modified` without a body when the request's `If-None-Match` names it. Every body this server
/// sends is already in memory, so buffering it here costs a copy, not a wait.
async fn conditional_get(req: Request, next: Next) -> Response {
    // GET only: axum answers HEAD with an empty body, whose hash would not be the resource's ETag.
    let is_get = req.method() == Method::GET;
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let resp = next.run(req).await;
    if !is_get || resp.status() != StatusCode::OK {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let tag = etag(&bytes);
    parts
        .headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-cache"));
    let not_modified = if_none_match.is_some_and(|v| etag_matches(&v, &tag));
    parts.headers.insert(header::ETAG, tag);
    if not_modified {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Weak ETag of a body: `W/"` + 32 hex digits of its SHA3-256 + `"`.
fn etag(body: &[u8]) -> HeaderValue {
    let digest =
        sha3::Digest::finalize(sha3::Digest::chain_update(sha3::Sha3_256::default(), body));
    let tag = format!("W/\"{}\"", hex::encode(&digest[..16]));
    HeaderValue::from_str(&tag).expect("hex digits and quotes are a valid header value")
}

/// Weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag equal to `tag` ignoring `W/`.
fn etag_matches(if_none_match: &HeaderValue, tag: &HeaderValue) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let (Ok(list), Ok(tag)) = (if_none_match.to_str(), tag.to_str()) else {
        return false;
    };
    let tag = strip(tag);
    list.split(',').any(|t| t.trim() == "*" || strip(t) == tag)
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

    /// One GET with the given headers against a real listener: status, headers, raw (undecoded) body.
    fn get(url: &str, headers: &[(&str, &str)]) -> (u16, axum::http::HeaderMap, Vec<u8>) {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let mut req = agent.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.call().unwrap();
        let (parts, mut body) = resp.into_parts();
        (
            parts.status.as_u16(),
            parts.headers,
            body.read_to_vec().unwrap(),
        )
    }

    /// The page, a large pseudo-random "model" on an API path and the web-dir fallback, served by a real
    /// listener with [`with_compression_and_etags`].
    fn serve_site(model: Vec<u8>) -> String {
        let dir = site();
        std::fs::write(dir.join("app.js"), "export const x = 1;\n".repeat(2000)).unwrap();
        let api = Router::new().route(
            "/v1/models/1",
            axum::routing::get(move || {
                let m = model.clone();
                async move { m }
            }),
        );
        let app = with_compression_and_etags(with_web_dir(api, dir));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(l.local_addr().unwrap()).unwrap();
                axum::serve(l, app).await.unwrap();
            });
        });
        format!("http://{}", rx.recv().unwrap())
    }

    #[test]
    fn compresses_when_asked_and_answers_304_to_a_known_etag() {
        let model: Vec<u8> = (0..40_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let base = serve_site(model.clone());
        // Plain request: the raw bytes, an ETag, no-cache (revalidate every time).
        let (st, h, body) = get(&format!("{base}/v1/models/1"), &[]);
        assert_eq!((st, body.len()), (200, model.len()));
        assert!(h.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(h[header::CACHE_CONTROL], "no-cache");
        let tag = h[header::ETAG].to_str().unwrap().to_owned();
        assert!(tag.starts_with("W/\"") && tag.len() == 36, "{tag}");
        // Compressed on request, gzip and brotli, same ETag (it names the content, not the encoding).
        for enc in ["gzip", "br"] {
            let (st, h, z) = get(&format!("{base}/v1/models/1"), &[("Accept-Encoding", enc)]);
            assert_eq!(
                (st, h[header::CONTENT_ENCODING].to_str().unwrap()),
                (200, enc)
            );
            assert_eq!(h[header::ETAG].to_str().unwrap(), tag);
            assert!(
                z.len() * 4 < model.len(),
                "{enc}: {} of {} bytes",
                z.len(),
                model.len()
            );
        }
        // Revalidation: 304 with no body for the current tag (also inside a list), 200 for a stale one.
        for inm in [tag.clone(), format!("W/\"00\", {tag}"), "*".into()] {
            let (st, h, body) = get(&format!("{base}/v1/models/1"), &[("If-None-Match", &inm)]);
            assert_eq!((st, body.len()), (304, 0), "{inm}");
            assert_eq!(h[header::ETAG].to_str().unwrap(), tag);
        }
        let (st, _, body) = get(
            &format!("{base}/v1/models/1"),
            &[("If-None-Match", "W/\"00\"")],
        );
        assert_eq!((st, body.len()), (200, model.len()));
        // Static files too; different content, different tag; errors carry no tag.
        let (st, h, js) = get(&format!("{base}/app.js"), &[("Accept-Encoding", "gzip")]);
        assert_eq!(
            (st, h[header::CONTENT_ENCODING].to_str().unwrap()),
            (200, "gzip")
        );
        assert!(
            js.len() < 1_000,
            "gzip of 40 KB of repeated text: {} B",
            js.len()
        );
        let js_tag = h[header::ETAG].to_str().unwrap().to_owned();
        assert_ne!(js_tag, tag);
        let (st, _, _) = get(&format!("{base}/app.js"), &[("If-None-Match", &js_tag)]);
        assert_eq!(st, 304);
        let (st, h, _) = get(&format!("{base}/missing.js"), &[]);
        assert_eq!(st, 404);
        assert!(h.get(header::ETAG).is_none());
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
