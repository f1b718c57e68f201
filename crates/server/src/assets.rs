//! The browser UI as static files held in memory.
//!
//! With the `embedded-ui` feature (on by default) the committed frontend
//! build in `crates/server/ui/` is compiled into the binary, so the program
//! is one file and serves exactly the UI it was built with. Without it an
//! embedder brings its own files ([`Assets::from_dir`],
//! [`Assets::from_files`]) and the crate carries no UI bytes. How the files
//! are embedded is not part of the API. Everything the HTTP layer needs per file —
//! `Content-Type`, a strong `ETag`, an optional precompressed `.gz` twin — is
//! computed once, never per request: the type and the twin when [`Assets`]
//! is built, the `ETag` (a hash of the whole file) the first time the file
//! is served. Building the set reads no file's bytes, so the embedded UI
//! (1.6 MB, most of it a font few pages ever load) stays on disk, outside
//! the server's resident memory, until a browser asks for it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use hyper::body::Bytes;

use crate::error::ServerError;

/// The frontend build embedded at compile time.
#[cfg(feature = "embedded-ui")]
static EMBEDDED_UI: include_dir::Dir<'static> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/ui");

/// Most files [`Assets::from_dir`] reads (a UI build has a few dozen).
const MAX_DIR_FILES: usize = 10_000;

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
    /// A strong validator, quoted as HTTP wants it; see [`Asset::etag`].
    etag: Etag,
    /// The gzip-compressed twin (`<path>.gz`) when the build shipped one.
    pub(crate) gzip: Option<Compressed>,
}

impl Asset {
    /// The file's strong validator, quoted as HTTP wants it (computed on
    /// first use).
    pub(crate) fn etag(&self) -> &str {
        self.etag.of(&self.body, "")
    }
}

/// A precompressed representation of an [`Asset`].
#[derive(Clone, Debug)]
pub(crate) struct Compressed {
    /// The compressed bytes.
    pub(crate) body: Bytes,
    /// Its own validator (a different representation needs a different
    /// ETag); see [`Compressed::etag`].
    etag: Etag,
}

impl Compressed {
    /// The compressed representation's strong validator (computed on first
    /// use).
    pub(crate) fn etag(&self) -> &str {
        self.etag.of(&self.body, "-gz")
    }
}

/// An ETag computed the first time it is asked for, then kept. Shared by
/// the clones of an asset (the index is one), so it is computed once.
#[derive(Clone, Debug, Default)]
struct Etag(Arc<OnceLock<String>>);

impl Etag {
    fn of(&self, body: &[u8], suffix: &str) -> &str {
        self.0.get_or_init(|| etag_of(body, suffix))
    }
}

/// The static files the server answers with, indexed by URL path.
///
/// [`Assets::embedded`] (feature `embedded-ui`; also the [`Default`] then)
/// is the UI compiled into this crate; [`Assets::from_dir`] and
/// [`Assets::from_files`] let an embedding program serve its own build.
/// Without `embedded-ui`, [`Default`] is an empty set whose `index.html`
/// says that the UI is missing. Cloning is cheap.
///
/// ```
/// use tmux_mobile_server::Assets;
///
/// let assets = Assets::from_files([
///     ("index.html", b"<!doctype html><p>my own UI</p>".to_vec()),
///     ("assets/app-1a2b.js", b"console.log(1)".to_vec()),
/// ]);
/// assert_eq!(assets.len(), 2);
/// ```
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
    /// The embedded UI with feature `embedded-ui`, else no files.
    fn default() -> Self {
        #[cfg(feature = "embedded-ui")]
        {
            Self::embedded()
        }
        #[cfg(not(feature = "embedded-ui"))]
        {
            Self::from_files(std::iter::empty::<(String, Vec<u8>)>())
        }
    }
}

impl Assets {
    /// The UI embedded in this crate at compile time (`crates/server/ui/`,
    /// feature `embedded-ui`).
    #[cfg(feature = "embedded-ui")]
    pub fn embedded() -> Self {
        let mut files = Vec::new();
        collect_embedded(&EMBEDDED_UI, &mut files);
        Self::build(
            files
                .into_iter()
                .map(|(path, bytes)| (path, Bytes::from_static(bytes))),
        )
    }

    /// Every file under the directory `dir` on disk (e.g. a UI build's
    /// output directory), read once, by its path relative to `dir`.
    /// Symbolic links are not followed; at most 10 000 files are read.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, ServerError> {
        let root = dir.as_ref();
        let mut files = Vec::new();
        read_dir_into(root, root, &mut files)?;
        Ok(Self::build(files.into_iter()))
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
                etag: Etag::default(),
                body: gz.clone(),
            });
            files.insert(
                path.clone(),
                Asset {
                    content_type: content_type_for(path),
                    etag: Etag::default(),
                    body: body.clone(),
                    gzip,
                },
            );
        }
        let index = files.get("index.html").cloned().unwrap_or_else(|| {
            let body = Bytes::from_static(MISSING_INDEX.as_bytes());
            Asset {
                content_type: "text/html; charset=utf-8",
                etag: Etag::default(),
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

#[cfg(feature = "embedded-ui")]
fn collect_embedded(
    dir: &'static include_dir::Dir<'static>,
    out: &mut Vec<(String, &'static [u8])>,
) {
    for file in dir.files() {
        out.push((
            file.path().to_string_lossy().replace('\\', "/"),
            file.contents(),
        ));
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

/// Reads the regular files under `dir` into `out`, keyed by their
/// `/`-separated path relative to `root`.
fn read_dir_into(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, Bytes)>,
) -> Result<(), ServerError> {
    let error = |path: &Path| {
        let path: PathBuf = path.to_owned();
        move |source| ServerError::Assets { path, source }
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(error(dir))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(error(dir))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type().map_err(error(&path))?;
        if kind.is_dir() {
            read_dir_into(root, &path, out)?;
        } else if kind.is_file() {
            if out.len() >= MAX_DIR_FILES {
                return Err(ServerError::Assets {
                    path: root.to_owned(),
                    source: std::io::Error::other(format!("more than {MAX_DIR_FILES} files")),
                });
            }
            let bytes = std::fs::read(&path).map_err(error(&path))?;
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let key: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push((key.join("/"), Bytes::from(bytes)));
        }
    }
    Ok(())
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
    fn from_dir_reads_a_build_on_disk() {
        let dir = std::env::temp_dir().join(format!("tmux-mobile-assets-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<p>disk</p>").unwrap();
        std::fs::write(dir.join("assets/a-1.js"), "1").unwrap();
        std::fs::write(dir.join("assets/a-1.js.gz"), "gz").unwrap();
        let assets = Assets::from_dir(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(assets.len(), 3);
        assert_eq!(&assets.index().body[..], b"<p>disk</p>");
        assert!(assets.get("/assets/a-1.js").unwrap().gzip.is_some());
        let missing = Assets::from_dir(dir.join("nope")).unwrap_err().to_string();
        assert!(missing.contains("nope"), "{missing}");
    }

    #[cfg(feature = "embedded-ui")]
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
        assert_ne!(js.etag(), gz.etag());
        assert!(js.etag().starts_with('"') && js.etag().ends_with('"'));
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
