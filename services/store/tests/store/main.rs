//! The store's integration tests; every test runs on SQLite and PostgreSQL (`backend_test!`).

mod accounts;
mod analyses;
mod catalog;
mod common;
mod documents;
mod isolation;
mod migrations;
mod scopes;
mod settings;
