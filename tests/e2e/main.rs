//! End-to-end tests: the real `taisho serve` over HTTP, on SQLite and on PostgreSQL.

/// Runs one async scenario `fn(Backend) -> impl Future` as two tests, `name::sqlite` and
/// `name::postgres`.
macro_rules! e2e_test {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                crate::harness::run(crate::harness::Backend::Sqlite, super::$scenario);
            }

            #[test]
            fn postgres() {
                crate::harness::run(crate::harness::Backend::Postgres, super::$scenario);
            }
        }
    };
}

mod client;
mod harness;
mod redact;

mod abuse;
mod api;
mod browser;
mod diff;
mod isolation;
mod matrix;
mod outage;
mod seeds;
mod selftest;
mod sign_in;
mod sockets;
