//! The UI's static files, embedded in the binary at build time and served from `/static/` under a
//! name that carries their content hash, so they can be cached for a year and a new build is
//! fetched at once. No page refers to anything outside the server.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

/// The style sheet of every page.
const CSS: &str = include_str!("../../assets/taisho.css");

/// `/static/taisho.<hash>.css`.
static CSS_PATH: LazyLock<String> = LazyLock::new(|| {
    let hash = Sha256::digest(CSS.as_bytes());
    let hex: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("/static/taisho.{hex}.css")
});

/// The URL of the style sheet (for the pages' `<link>`).
pub fn css_path() -> &'static str {
    CSS_PATH.as_str()
}

/// `GET /static/{file}`: the current style sheet, cached for a year; any other name is 404.
pub async fn serve(file: web::Path<String>) -> HttpResponse {
    if format!("/static/{}", file.as_str()) == *CSS_PATH {
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(CSS)
    } else {
        super::error::WebError::NotFound.page_response()
    }
}
