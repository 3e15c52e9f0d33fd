//! The store's integration tests; every test runs on SQLite and PostgreSQL (`backend_test!`).

mod common;
mod migrations;
