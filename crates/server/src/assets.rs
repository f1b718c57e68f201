//! The browser UI as static files held in memory.
//!
//! The committed frontend build in `crates/server/ui/` is embedded into the
//! binary with `include_dir!`, so the program is one file and serves exactly
//! the UI it was built with. Everything the HTTP layer needs per file —
//! `Content-Type`, a strong `ETag`, an optional precompressed `.gz` twin — is
//! computed once when [`Assets`] is built, never per request.

use std::collections::HashMap;
use std::sync::Arc;

use hyper::body::Bytes;
use include_dir::{Dir, include_dir};

/// The frontend build embedded at compile time.
static EMBEDDED_UI: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/ui");

/// Page served when an asset set has no `index.html`.
const MISSING_INDEX: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>tmux-mobile</title></head><body><p>tmux-mobile: the browser UI is missing \
from this build.</p></body></html>";

/// One servable file.
#[derive(Clone, Debug)]
pub(crate) struct Asset {
    /// The file's bytes.
    pub(crate) body: Bytes,
    /// The `Content-Type` header value.
    pub(crate) content_type: &'static str,
    /// A strong validator, quoted as HTTP wants it.
    pub(crate) etag: String,
    /// The gzip-compressed twin (`<path>.gz`) when the build shipped one.
    pub(crate) gzip: Option<Compressed>,
}

/// A precompressed representation of an [`Asset`].
#[derive(Clone, Debug)]
pub(crate) struct Compressed {
    /// The compressed bytes.
    pub(crate) body: Bytes,
    /// Its own validator (a different representation needs a different ETag).
    pub(crate) etag: String,
}

/// The static files the server answers with, indexed by URL path.
///
/// [`Assets::embedded`] (also the [`Default`]) is the UI compiled into this
/// crate; [`Assets::from_dir`] and [`Assets::from_files`] let an embedding
/// program serve its own build. Cloning is cheap.
#[derive(Clone)]
pub struct Assets {
    files: Arc<HashMap<String, Asset>>,
    index: Asset,
}

impl std::fmt::Debug for Assets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut paths: Vec<&str> = self.files.keys().map(String::as_str).collect();
        paths.sort_unstable();
        f.debug_struct("Assets").field("files", &paths).finish()
    }
}

impl Default for Assets {
    fn default() -> Self {
        Self::embedded()
    }
}

impl Assets {
    /// The UI embedded in this crate at compile time (`crates/server/ui/`).
    pub fn embedded() -> Self {
        Self::from_dir(&EMBEDDED_UI)
    }

    /// Every file of an `include_dir` directory, by its relative path.
    pub fn from_dir(dir: &'static Dir<'static>) -> Self {
        let mut files = Vec::new();
        collect(dir, &mut files);
        Self::build(
            files
                .into_iter()
                .map(|(path, bytes)| (path, Bytes::from_static(bytes))),
        )
    }

    /// Files given as `(relative path, contents)` pairs, e.g.
    /// `("index.html", ...)`, `("assets/app-1a2b.js", ...)`. A file named
    /// `<path>.gz` next to `<path>` is used as its gzip encoding.
    pub fn from_files<I, P, B>(files: I) -> Self
    where
        I: IntoIterator<Item = (P, B)>,
        P: Into<String>,
        B: Into<Vec<u8>>,
    {
        Self::build(
            files
                .into_iter()
                .map(|(path, bytes)| (path.into(), Bytes::from(bytes.into()))),
        )
    }

    fn build(raw: impl Iterator<Item = (String, Bytes)>) -> Self {
        let raw: HashMap<String, Bytes> = raw
            .map(|(path, bytes)| (path.trim_start_matches('/').to_owned(), bytes))
            .collect();
        let mut files = HashMap::with_capacity(raw.len());
        for (path, body) in &raw {
            let gzip = raw.get(&format!("{path}.gz")).map(|gz| Compressed {
                etag: etag_of(gz, "-gz"),
                body: gz.clone(),
            });
            files.insert(
                path.clone(),
                Asset {
                    content_type: content_type_for(path),
                    etag: etag_of(body, ""),
                    body: body.clone(),
                    gzip,
                },
            );
        }
        let index = files.get("index.html").cloned().unwrap_or_else(|| {
            let body = Bytes::from_static(MISSING_INDEX.as_bytes());
            Asset {
                content_type: "text/html; charset=utf-8",
                etag: etag_of(&body, ""),
                body,
                gzip: None,
            }
        });
        Self {
            files: Arc::new(files),
            index,
        }
    }

    /// The file at a URL path (`/assets/x.js`), if there is one.
    pub(crate) fn get(&self, url_path: &str) -> Option<&Asset> {
        let key = url_path.trim_start_matches('/');
        if key.is_empty() {
            return Some(&self.index);
        }
        self.files.get(key)
    }

    /// The single-page app's entry document.
    pub(crate) fn index(&self) -> &Asset {
        &self.index
    }

    /// Number of files held (precompressed twins included).
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is held (an `index.html` fallback is still served).
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<(String, &'static [u8])>) {
    for file in dir.files() {
        out.push((
            file.path().to_string_lossy().replace('\\', "/"),
            file.contents(),
        ));
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

/// A strong ETag from the FNV-1a hash of the content (stable across runs).
fn etag_of(bytes: &[u8], suffix: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{hash:016x}-{:x}{suffix}\"", bytes.len())
}

/// `Content-Type` by file extension; unknown types are served as opaque bytes.
pub(crate) fn content_type_for(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        "gz" => "application/gzip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_ui_has_an_index() {
        let assets = Assets::embedded();
        let index = assets.get("/").expect("index");
        assert_eq!(index.content_type, "text/html; charset=utf-8");
        assert!(!index.body.is_empty());
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(
            content_type_for("assets/app.JS"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type_for("fonts/x.woff2"), "font/woff2");
        assert_eq!(
            content_type_for("manifest.webmanifest"),
            "application/manifest+json"
        );
        assert_eq!(content_type_for("noext"), "application/octet-stream");
    }

    #[test]
    fn gzip_twins_are_attached_and_etags_differ() {
        let assets = Assets::from_files([
            ("index.html", b"<p>x</p>".to_vec()),
            ("assets/a-1.js", b"let a = 1;".to_vec()),
            ("assets/a-1.js.gz", b"\x1f\x8bfake".to_vec()),
        ]);
        let js = assets.get("/assets/a-1.js").expect("js");
        let gz = js.gzip.as_ref().expect("gzip twin");
        assert_ne!(js.etag, gz.etag);
        assert!(js.etag.starts_with('"') && js.etag.ends_with('"'));
        assert!(assets.get("/assets/missing.js").is_none());
    }

    #[test]
    fn missing_index_gets_a_fallback_page() {
        let assets = Assets::from_files([("assets/a.js", b"1".to_vec())]);
        assert!(
            String::from_utf8_lossy(&assets.index().body).contains("missing"),
            "fallback page explains the problem"
        );
    }
}
