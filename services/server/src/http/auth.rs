//! Authentication in one place: `Authorization: Bearer …` is an API key, the `taisho_session` cookie
//! a browser session, nothing at all is refused (no anonymous GraphQL). Browser requests that change
//! something must come from the server's own origin (CSRF).

use actix_web::HttpRequest;
use actix_web::http::header;
use taisho_app::auth::{self, Caller, Credential, SESSION_COOKIE};

use crate::http::State;
use crate::http::errors::{ApiError, from_app};

/// The credential `req` carries: the `Authorization` header first, then the session cookie.
pub fn credential(req: &HttpRequest) -> Result<Credential<'_>, ApiError> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| ApiError::unauthenticated())?;
        return Ok(Credential::Bearer(value));
    }
    Ok(match session_cookie(req) {
        Some(token) => Credential::Session(token),
        None => Credential::None,
    })
}

/// The value of the `taisho_session` cookie, if any.
pub fn session_cookie(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// The authenticated caller of `req`; 401 without credentials or with bad ones.
pub async fn caller(state: &State, req: &HttpRequest) -> Result<Caller, ApiError> {
    let credential = credential(req)?;
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
    let refused = || ApiError::forbidden("別のサイトからの要求は受け付けられません。");
    if req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"))
    {
        return Err(refused());
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| refused())?;
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if same_origin(origin, scheme, host) {
        Ok(())
    } else {
        Err(refused())
    }
}

/// Whether `origin` (`scheme://host[:port]`) is `scheme` and names `host` (`host[:port]` of the
/// Host header), ignoring the scheme's default port on either side.
fn same_origin(origin: &str, scheme: &str, host: &str) -> bool {
    let Some((origin_scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    if !origin_scheme.eq_ignore_ascii_case(scheme) {
        return false;
    }
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return false,
    };
    let strip = |h: &str| {
        let h = h.trim().to_ascii_lowercase();
        h.strip_suffix(default_port).map(str::to_owned).unwrap_or(h)
    };
    !host.is_empty() && strip(rest.trim_end_matches('/')) == strip(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_their_own_scheme_host_and_port_only() {
        assert!(same_origin(
            "http://127.0.0.1:8080",
            "http",
            "127.0.0.1:8080"
        ));
        assert!(same_origin(
            "https://taisho.example",
            "https",
            "taisho.example:443"
        ));
        assert!(same_origin(
            "http://taisho.example:80",
            "http",
            "taisho.example"
        ));
        assert!(!same_origin(
            "http://evil.example",
            "http",
            "taisho.example"
        ));
        assert!(!same_origin(
            "http://127.0.0.1:9999",
            "http",
            "127.0.0.1:8080"
        ));
        assert!(!same_origin("null", "http", "127.0.0.1:8080"));
        assert!(!same_origin("http://127.0.0.1:8080", "http", ""));
        // The scheme counts: an https page is another origin than this http server, and back.
        assert!(!same_origin(
            "https://127.0.0.1:8080",
            "http",
            "127.0.0.1:8080"
        ));
        assert!(!same_origin(
            "http://taisho.example",
            "https",
            "taisho.example"
        ));
        assert!(!same_origin(
            "https://taisho.example",
            "http",
            "taisho.example:443"
        ));
    }
}
