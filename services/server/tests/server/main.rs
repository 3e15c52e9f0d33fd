//! The server's one integration-test binary; one module per area.

mod generated;
mod seeds;
