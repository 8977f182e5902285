//! Shared builders and assertion helpers for the integration tests (as rustls-test's `make_pair`).

/// A loopback TLS server presenting any `CertifiedKey`, and a client handshake helper.
pub mod tls;

/// A simulated accessory driven by curl, openssl and Python in the interop tests.
pub mod sim;
