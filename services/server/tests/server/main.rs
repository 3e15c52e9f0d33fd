//! The server's one integration-test binary; one module per area.

mod generated;
mod http;
mod seeds;
mod trace;
