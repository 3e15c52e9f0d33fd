//! Tenant fixtures shared by the tests.
