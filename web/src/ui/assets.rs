//! The UI's static files, embedded in the binary at build time and served from `/static/` under a
//! name that carries their content hash, so they can be cached for a year and a new build is
//! fetched at once. No page refers to anything outside the server.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    /// `/static/<stem>.<hash>.<ext>`.
    path: String,
    content_type: &'static str,
    body: &'static str,
}

impl Asset {
    fn new(stem: &str, ext: &str, content_type: &'static str, body: &'static str) -> Asset {
        let hash = Sha256::digest(body.as_bytes());
        let hex: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
        Asset {
            path: format!("/static/{stem}.{hex}.{ext}"),
            content_type,
            body,
        }
    }
}

/// The style sheet of every page, and the small scripts that enhance three pages (each works
/// without them but the query page).
static ASSETS: LazyLock<[Asset; 4]> = LazyLock::new(|| {
    [
        Asset::new(
            "taisho",
            "css",
            "text/css; charset=utf-8",
            include_str!("../../assets/taisho.css"),
        ),
        Asset::new(
            "query",
            "js",
            "text/javascript; charset=utf-8",
            include_str!("../../assets/query.js"),
        ),
        Asset::new(
            "upload",
            "js",
            "text/javascript; charset=utf-8",
            include_str!("../../assets/upload.js"),
        ),
        Asset::new(
            "progress",
            "js",
            "text/javascript; charset=utf-8",
            include_str!("../../assets/progress.js"),
        ),
    ]
});

/// The URL of the style sheet (for the pages' `<link>`).
pub fn css_path() -> &'static str {
    ASSETS[0].path.as_str()
}

/// The URL of the query page's script.
pub fn query_script_path() -> &'static str {
    ASSETS[1].path.as_str()
}

/// The URL of the upload page's script (drag and drop).
pub fn upload_script_path() -> &'static str {
    ASSETS[2].path.as_str()
}

/// The URL of the report page's script (live progress).
pub fn progress_script_path() -> &'static str {
    ASSETS[3].path.as_str()
}

/// `GET /static/{file}`: an embedded file under its current name, cached for a year; any other
/// name is 404.
pub async fn serve(file: web::Path<String>) -> HttpResponse {
    let wanted = format!("/static/{}", file.as_str());
    match ASSETS.iter().find(|a| a.path == wanted) {
        Some(asset) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, asset.content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(asset.body),
        None => super::error::WebError::NotFound.page_response(),
    }
}
