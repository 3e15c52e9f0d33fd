//! The browser UI: server-rendered Japanese pages over the app's use-cases.
//!
//! [`configure`] mounts the routes; the server shares a [`WebState`] as `web::Data`. Each handler
//! extracts (a [`SignedIn`] viewer, a path, a form), calls one use-case and renders one template.

mod account;
pub(crate) mod assets;
mod auth;
mod catalog;
mod diff;
mod error;
mod format;
mod home;
mod prefecture;
mod progress;
mod query;
mod report;
mod upload;

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use taisho_app::Services;

pub use error::WebError;
pub use query::{QUERY_CSP, query_page};

/// The client address of a request (the server resolves trusted proxies).
pub type ClientAddr = Arc<dyn Fn(&HttpRequest) -> Option<IpAddr> + Send + Sync>;
/// The scheme the client used (`http` or `https`, as trusted proxies report it).
pub type Scheme = Arc<dyn Fn(&HttpRequest) -> &'static str + Send + Sync>;

/// What the UI's handlers share.
#[derive(Clone)]
pub struct WebState {
    pub services: Services,
    /// Production: `Secure` `__Host-` cookies.
    pub production: bool,
    pub client_addr: ClientAddr,
    pub scheme: Scheme,
    /// The largest file the upload page accepts, in bytes (the server's `limits.upload_bytes`).
    pub upload_limit: usize,
}

impl WebState {
    /// A state that takes the peer as the client and `http` as the scheme (no proxies); the
    /// server replaces both with its trusted-proxy logic ([`WebState::with_client`]).
    pub fn new(services: Services, production: bool) -> WebState {
        WebState {
            services,
            production,
            client_addr: Arc::new(|req: &HttpRequest| req.peer_addr().map(|a| a.ip())),
            scheme: Arc::new(|_: &HttpRequest| "http"),
            upload_limit: 8 * 1024 * 1024,
        }
    }

    /// This state with the upload page's file size limit.
    pub fn with_upload_limit(mut self, bytes: usize) -> WebState {
        self.upload_limit = bytes;
        self
    }

    /// This state with the server's client address and scheme.
    pub fn with_client(mut self, client_addr: ClientAddr, scheme: Scheme) -> WebState {
        self.client_addr = client_addr;
        self.scheme = scheme;
        self
    }

    pub(crate) fn client(&self, req: &HttpRequest) -> Option<IpAddr> {
        (self.client_addr)(req)
    }

    /// Refuses a request from another site (see [`crate::session::same_origin_request`]).
    pub(crate) fn check_same_origin(&self, req: &HttpRequest) -> Result<(), WebError> {
        if crate::session::same_origin_request(req, (self.scheme)(req)) {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }
}

/// Mounts the UI's routes: `/`, `/sign-in`, `/sign-out`, `/account/password`,
/// `/documents/{id}/versions/{n}`, `/documents/{id}/diff`, `/prefecture`, `/prefecture.csv`,
/// `/static/{file}`. The handlers read [`WebState`] from `web::Data`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/sign-in", web::get().to(auth::sign_in_form))
        .route("/sign-in", web::post().to(auth::sign_in))
        .route("/sign-out", web::post().to(auth::sign_out))
        .route("/account/password", web::get().to(account::form))
        .route("/account/password", web::post().to(account::change))
        .route(
            "/documents/{document}/versions/{seq}",
            web::get().to(report::report),
        )
        .route("/documents/{document}/diff", web::get().to(diff::diff))
        .route("/prefecture", web::get().to(prefecture::prefecture))
        .route("/prefecture.csv", web::get().to(prefecture::prefecture_csv))
        .route(
            "/documents/{document}/versions/{seq}/progress",
            web::get().to(progress::events),
        )
        .route("/catalog", web::get().to(catalog::catalog))
        .route("/upload", web::get().to(upload::form))
        .route("/upload", web::post().to(upload::submit))
        .route("/static/{file}", web::get().to(assets::serve));
}

/// The Content-Security-Policy of every page: only this server's style sheet and scripts (no
/// inline script or style), requests only to this server, no frames, forms only to this server.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; \
                       connect-src 'self'; form-action 'self'; base-uri 'none'; \
                       frame-ancestors 'none'";

/// The security headers of every page.
pub(crate) fn page_headers(res: &mut HttpResponse) {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // `same-origin`, not `no-referrer`: with `no-referrer` browsers send `Origin: null` from the
    // page's own forms. Nothing leaves for other sites either way.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Pages show one organisation's data: never stored by a shared cache or the browser's.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A page: `body` with `status` and the headers of [`page_headers`].
pub(crate) fn page(status: StatusCode, body: String) -> HttpResponse {
    let mut res = HttpResponse::build(status).body(body);
    page_headers(&mut res);
    res
}

/// A 303 to `location` (after a form, or to the sign-in page).
pub(crate) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The Japanese 404 page, for the server's fallback route when a browser asks for an unknown path.
pub fn not_found_page() -> HttpResponse {
    WebError::NotFound.page_response()
}

pub use auth::SignedIn;
