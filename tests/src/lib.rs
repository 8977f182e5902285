//! Shared builders and assertion helpers for the integration tests (as rustls-test's `make_pair`).
