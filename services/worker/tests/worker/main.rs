//! Integration tests of the queue and the pool on SQLite and PostgreSQL.
