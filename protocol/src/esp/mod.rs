//! ESP-IDF SoftAP provisioning (protocomm over HTTP): message codecs and handshake state machines
//! for both roles, with no I/O.
//!
//! A provisioning client talks to five `POST /<endpoint>` endpoints:
//! `proto-ver` ([`ProtoVersion`]), `prov-session` (security 1: [`Sec1Client`]/[`Sec1Device`];
//! security 2: [`Sec2Client`]/[`Sec2Device`]), then `prov-scan`, `prov-config` and `prov-ctrl`
//! ([`wifi`]), whose bodies go through the session's [`SessionCipher`]. Security 0 is refused:
//! [`ProtoVersion::parse`] gives [`Error::SecurityZeroRefused`] and no type can speak it.
//!
//! Randomness comes from the caller (`rand_core::CryptoRngCore`), so every step is testable.
//! Every device-side `Err` means "close the socket without an HTTP response", as ESP-IDF does.

mod envelope;
mod error;
pub mod messages;
mod sec1;
mod sec2;
mod session;
mod srp;
mod version;
pub mod wifi;

pub use envelope::SessionCipher;
pub use error::{Error, Result};
pub use sec1::{Sec1Cipher, Sec1Client, Sec1ClientVerify, Sec1Device};
pub use sec2::{Sec2Cipher, Sec2Client, Sec2ClientVerify, Sec2Device, NONCE_LEN};
pub use session::{Cipher, DeviceSecurity, DeviceSession};
pub use srp::{generate_verifier, verifier_with_salt, Sec2Verifier, SALT_LEN};
pub use version::{ProtoVersion, SecurityScheme, PROTO_VER_REQUEST};

/// The endpoint names, as `POST /<name>` paths without the slash.
pub mod endpoint {
    /// Version and capabilities (plain JSON).
    pub const PROTO_VER: &str = "proto-ver";
    /// The security handshake (plain protobuf).
    pub const SESSION: &str = "prov-session";
    /// Wi-Fi scan (encrypted).
    pub const SCAN: &str = "prov-scan";
    /// Wi-Fi configuration and status (encrypted).
    pub const CONFIG: &str = "prov-config";
    /// Reset and reprovision (encrypted).
    pub const CTRL: &str = "prov-ctrl";
}

#[cfg(test)]
mod handshake_tests;
#[cfg(test)]
mod kat_tests;
#[cfg(test)]
mod kat_vectors;
