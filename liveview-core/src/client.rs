//! The browser client bundle, embedded in the binary and served at a content-hashed path.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use sha2::{Digest, Sha256};

/// The minified client, built by `npm run build` in `js-client/` and committed.
pub(crate) const BUNDLE: &str = include_str!("../../js-client/dist/liveview.min.js");

/// `/live/liveview-<first 16 hex digits of the SHA-256>.js`: a new bundle gets a new URL,
/// so the old one can be cached forever.
pub(crate) static PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(BUNDLE.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("/live/liveview-{hex}.js")
});

pub(crate) async fn serve() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        BUNDLE,
    )
}
