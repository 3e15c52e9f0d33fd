//! Authentication in one place: `Authorization: Bearer …` is an API key, the session cookie
//! (`taisho_session`, `__Host-taisho_session` in production; named and read by `taisho_web::session`
//! for the JSON API and the browser UI alike) a browser session, nothing at all is refused (no
//! anonymous GraphQL). Browser requests that change something must come from the server's own
//! origin (CSRF; the rule is `taisho_web::session::same_origin_request`, shared with the UI).

use actix_web::HttpRequest;
use actix_web::http::header;
use taisho_app::auth::{self, Caller, Credential};

use crate::http::State;
use crate::http::errors::{ApiError, from_app};

/// The credential `req` carries: the `Authorization` header first, then the session cookie of
/// this mode (`production`).
pub fn credential(req: &HttpRequest, production: bool) -> Result<Credential<'_>, ApiError> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| ApiError::unauthenticated())?;
        return Ok(Credential::Bearer(value));
    }
    Ok(match session_cookie(req, production) {
        Some(token) => Credential::Session(token),
        None => Credential::None,
    })
}

/// The value of the session cookie of this mode, if any.
pub fn session_cookie(req: &HttpRequest, production: bool) -> Option<&str> {
    taisho_web::session::session_token(req, production)
}

/// The authenticated caller of `req`; 401 without credentials or with bad ones.
pub async fn caller(state: &State, req: &HttpRequest) -> Result<Caller, ApiError> {
    let credential = credential(req, state.production)?;
    if credential == Credential::None {
        return Err(ApiError::unauthenticated());
    }
    let caller = auth::authenticate_from(&state.services, credential, state.client_addr(req))
        .await
        .map_err(|e| from_app(&e))?;
    if caller.is_anonymous() {
        return Err(ApiError::unauthenticated());
    }
    Ok(caller)
}

/// For requests a browser could be tricked into sending (cookie-authenticated): refuses an
/// `Origin` (or `Sec-Fetch-Site: cross-site`) that is not this server's own: same scheme (`scheme`,
/// the one the client used, see [`crate::http::client::Proxies::scheme`]), host and port.
pub fn check_same_origin(req: &HttpRequest, scheme: &str) -> Result<(), ApiError> {
    if taisho_web::session::same_origin_request(req, scheme) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "別のサイトからの要求は受け付けられません。",
        ))
    }
}
