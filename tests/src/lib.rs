//! Shared builders and assertion helpers for the integration tests (as rustls-test's `make_pair`).
//! Each public module is the helpers of one area of tests, named by its path
//! (`accessory_tests::skip::require_tool`).
#![warn(missing_docs, unreachable_pub)]

/// A loopback TLS server presenting any `CertifiedKey`, and a client handshake helper.
pub mod tls;

/// A simulated accessory driven by curl, openssl and Python in the interop tests.
pub mod sim;

/// Simulated accessories and requests for the provisioning tests, and the `accessory` binary.
pub mod provision;

/// A hostile accessory (Python's ssl, not our simulator) recording every byte it receives, and
/// OpenSSL-made certificates for it.
pub mod hostile;

/// Namespace SoftAPs (root): start one with a simulated accessory, join it, check nothing is left.
pub mod softap;

/// `accessory trust` as a process, catalogue material as files, Python's parsers (admin tests).
pub mod admin;

/// ESP-IDF simulated accessories and Espressif's Python client.
pub mod esp;

/// Skips that show in `make test`'s summary and fail under CI when CI should have provided the tool.
pub mod skip;

/// A PostgreSQL database of the test's own (`ACCESSORY_TEST_POSTGRES`), dropped afterwards.
pub mod postgres;
