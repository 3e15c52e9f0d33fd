//! Cookies and request forgery: the session cookie (one name per mode, shared with the JSON
//! sign-in of the server), the CSRF tokens of forms, and the same-origin check of requests a
//! browser could be tricked into sending.
//!
//! - Signed-in forms carry `base64url(SHA-256("taisho-csrf:" + session token))`: tied to the
//!   session, unknowable to another site, new with every sign-in.
//! - The sign-in form (no session yet) uses a double-submit cookie: a random value in the
//!   `taisho_csrf` cookie (`__Host-taisho_csrf` in production) and the same value in the form.
//! - Every POST also refuses a foreign `Origin` and `Sec-Fetch-Site: cross-site`.
//!
//! Tokens are compared in constant time.

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderMap};
use sha2::{Digest, Sha256};
use taisho_app::auth::session_cookie_name;

/// The sign-in form's double-submit cookie in development.
pub const CSRF_COOKIE: &str = "taisho_csrf";
/// …and in production (`__Host-`: set only with `Secure`, `Path=/`, no `Domain`).
pub const CSRF_COOKIE_SECURE: &str = "__Host-taisho_csrf";
/// Characters of a random token (32 bytes, base64url without padding).
const TOKEN_LEN: usize = 43;

/// The name of the sign-in form's CSRF cookie in this mode.
pub fn csrf_cookie_name(production: bool) -> &'static str {
    if production {
        CSRF_COOKIE_SECURE
    } else {
        CSRF_COOKIE
    }
}

/// The value of the cookie `name`, if the request has a non-empty one.
pub fn cookie<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    cookie_in(req.headers(), name)
}

fn cookie_in<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// The session token of the request: the value of the session cookie of this mode (see
/// [`session_cookie_name`]). The JSON API reads it through this function too.
pub fn session_token(req: &HttpRequest, production: bool) -> Option<&str> {
    cookie(req, session_cookie_name(production))
}

/// A `Set-Cookie` value for the session cookie: `HttpOnly; SameSite=Lax; Path=/`, plus `Secure`
/// (and the `__Host-` name) in production. `max_age` 0 deletes it.
pub fn session_cookie_header(value: &str, max_age: u64, production: bool) -> String {
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        session_cookie_name(production),
        if production { "; Secure" } else { "" }
    )
}

/// A `Set-Cookie` value for the sign-in form's CSRF cookie (a browser-session cookie; `SameSite`
/// strict: only this site's own pages send it). An empty value deletes it.
pub fn csrf_cookie_header(value: &str, production: bool) -> String {
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict{}{}",
        csrf_cookie_name(production),
        if value.is_empty() { "; Max-Age=0" } else { "" },
        if production { "; Secure" } else { "" }
    )
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new random token (32 bytes from the OS, base64url); `None` if the OS refuses randomness.
pub fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(base64url(&bytes))
}

/// Whether `value` has the shape of [`random_token`]'s tokens (so a planted cookie of another
/// shape is replaced, not echoed).
pub fn well_formed(value: &str) -> bool {
    value.len() == TOKEN_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The CSRF token of the forms of a signed-in page, derived from the session token.
pub fn csrf_for_session(session_token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"taisho-csrf:");
    h.update(session_token.as_bytes());
    base64url(&h.finalize())
}

/// Whether `a` and `b` are equal, in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `req` may change something on behalf of a cookie: not `Sec-Fetch-Site: cross-site`,
/// and its `Origin`, when present, is this server's own: same `scheme` (the one the client used),
/// host and port (`Origin: null` only with `Sec-Fetch-Site: same-origin`). The JSON API applies
/// the same rule.
pub fn same_origin_request(req: &HttpRequest, scheme: &str) -> bool {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"))
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    // A browser sends `Origin: null` from a page whose referrer policy withholds it; its own
    // `Sec-Fetch-Site` (which no page can set) then says where the request came from.
    if origin == "null" {
        return headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("same-origin"));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    same_origin(origin, scheme, host)
}

/// Whether `origin` (`scheme://host[:port]`) is `scheme` and names `host` (`host[:port]` of the
/// Host header), ignoring the scheme's default port on either side.
pub fn same_origin(origin: &str, scheme: &str, host: &str) -> bool {
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

    #[test]
    fn a_null_origin_needs_the_browsers_same_origin_word() {
        use actix_web::test::TestRequest;
        let req = |headers: &[(&str, &str)]| {
            let mut r = TestRequest::post().insert_header(("host", "127.0.0.1:8080"));
            for h in headers {
                r = r.insert_header(*h);
            }
            r.to_http_request()
        };
        assert!(same_origin_request(&req(&[]), "http"));
        assert!(same_origin_request(
            &req(&[("origin", "http://127.0.0.1:8080")]),
            "http"
        ));
        assert!(!same_origin_request(&req(&[("origin", "null")]), "http"));
        assert!(same_origin_request(
            &req(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            "http"
        ));
        assert!(!same_origin_request(
            &req(&[("origin", "null"), ("sec-fetch-site", "same-site")]),
            "http"
        ));
        assert!(!same_origin_request(
            &req(&[
                ("origin", "http://127.0.0.1:8080"),
                ("sec-fetch-site", "cross-site")
            ]),
            "http"
        ));
    }

    #[test]
    fn tokens_compare_by_value_and_derive_per_session() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
        let t = random_token().unwrap();
        assert!(well_formed(&t));
        assert!(!well_formed("short"));
        assert_ne!(csrf_for_session("a"), csrf_for_session("b"));
        assert_eq!(csrf_for_session("a").len(), 43);
        assert!(!csrf_for_session(&t).contains(&t));
    }

    #[test]
    fn cookie_names_follow_the_mode() {
        assert!(session_cookie_header("x", 10, true).starts_with("__Host-taisho_session=x;"));
        assert!(session_cookie_header("x", 10, true).ends_with("; Secure"));
        assert!(session_cookie_header("x", 10, false).starts_with("taisho_session=x;"));
        assert!(!session_cookie_header("x", 10, false).contains("Secure"));
        assert!(csrf_cookie_header("", false).contains("Max-Age=0"));
    }
}
