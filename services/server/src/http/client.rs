//! Who is on the other end: the client address and the scheme the client used, taking
//! `X-Forwarded-For` and `X-Forwarded-Proto` only from configured trusted proxies.
//!
//! Without trusted proxies (the default) the peer address is the client and the scheme is `http`
//! (the server speaks plain HTTP; TLS ends at a proxy). Behind proxies, `X-Forwarded-For` is read
//! from the right: the first address that is not a trusted proxy is the client (a client can put
//! anything on the left of the list, but not past the proxies it went through).

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The trusted reverse proxies (addresses or networks).
#[derive(Debug, Clone, Default)]
pub struct Proxies(Vec<IpNet>);

impl Proxies {
    pub fn new(nets: Vec<IpNet>) -> Proxies {
        Proxies(nets)
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client address of `req`: the peer, or, when the peer is a trusted proxy, the rightmost
    /// untrusted address of `X-Forwarded-For`.
    pub fn client_addr(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.trusted(peer) {
            return Some(peer);
        }
        let hops: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) => {
                    client = ip;
                    if !self.trusted(ip) {
                        break;
                    }
                }
                // Garbage in the list: the last address we could trust is the answer.
                None => break,
            }
        }
        Some(client)
    }

    /// `https` when a trusted proxy says the client used it, otherwise `http`.
    pub fn scheme(&self, req: &HttpRequest) -> &'static str {
        let from_proxy = req.peer_addr().is_some_and(|p| self.trusted(p.ip()));
        let https = from_proxy
            && req
                .headers()
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        if https { "https" } else { "http" }
    }
}

/// An address of `X-Forwarded-For`: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())
}

/// Parses a trusted proxy: an address (`10.0.0.1`) or a network (`10.0.0.0/8`).
pub fn parse_proxy(value: &str) -> Result<IpNet, String> {
    let v = value.trim();
    v.parse::<IpNet>()
        .or_else(|_| v.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{v:?} is not an IP address or network (e.g. 10.0.0.0/8)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn proxies(list: &[&str]) -> Proxies {
        Proxies::new(list.iter().map(|p| parse_proxy(p).unwrap()).collect())
    }

    fn req(peer: &str, xff: Option<&str>, proto: Option<&str>) -> HttpRequest {
        let mut r = TestRequest::default().peer_addr(peer.parse().unwrap());
        if let Some(x) = xff {
            r = r.insert_header(("X-Forwarded-For", x));
        }
        if let Some(p) = proto {
            r = r.insert_header(("X-Forwarded-Proto", p));
        }
        r.to_http_request()
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let none = Proxies::default();
        let one = proxies(&["10.0.0.0/8"]);
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // Not behind a proxy: the header is the client's own words.
        let r = req("198.51.100.7:5000", Some("203.0.113.9"), None);
        assert_eq!(none.client_addr(&r), ip("198.51.100.7"));
        assert_eq!(one.client_addr(&r), ip("198.51.100.7"));
        // Behind a trusted proxy: the rightmost untrusted hop.
        let r = req(
            "10.0.0.2:5000",
            Some("1.1.1.1, 203.0.113.9, 10.0.0.3"),
            None,
        );
        assert_eq!(one.client_addr(&r), ip("203.0.113.9"));
        assert_eq!(none.client_addr(&r), ip("10.0.0.2"));
        // A proxy that sends no header is the client.
        let r = req("10.0.0.2:5000", None, None);
        assert_eq!(one.client_addr(&r), ip("10.0.0.2"));
        // Garbage stops the walk at the last trusted hop.
        let r = req("10.0.0.2:5000", Some("203.0.113.9, bogus"), None);
        assert_eq!(one.client_addr(&r), ip("10.0.0.2"));
        assert!(parse_proxy("127.0.0.1").is_ok());
        assert!(parse_proxy("nonsense").is_err());
    }

    #[test]
    fn the_scheme_is_https_only_when_a_trusted_proxy_says_so() {
        let one = proxies(&["10.0.0.0/8"]);
        assert_eq!(one.scheme(&req("10.0.0.2:1", None, Some("https"))), "https");
        assert_eq!(one.scheme(&req("10.0.0.2:1", None, None)), "http");
        assert_eq!(
            one.scheme(&req("198.51.100.7:1", None, Some("https"))),
            "http"
        );
        assert_eq!(
            Proxies::default().scheme(&req("10.0.0.2:1", None, Some("https"))),
            "http"
        );
    }
}
