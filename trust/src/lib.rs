//! Trust for Wi-Fi accessories: who the device on the other end of a SoftAP TLS session is, and
//! whether to believe it.
//!
//! An accessory has no DNS name and no publicly trusted certificate, so this crate verifies it with
//! what an administrator gives: [`Pin`]s (the SHA-256 of a key), [`Anchors`] (the manufacturer's
//! roots, never the system's), trust on first use, and an [`Identity`] (device id, DNS name or IP)
//! the certificate must name. A [`TrustPolicy`] combines them and cannot be empty; an
//! [`AccessoryVerifier`] is that policy as a rustls verifier, and always checks the handshake
//! signature. Every refusal comes back as a [`Diagnosis`]: a stable code, the cause, the fix, and
//! what iOS and Android call the same failure. [`ChainCapture`] records a chain and always refuses.
//!
//! This crate does no network I/O.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod anchor;
mod capture;
mod date;
// A namespace: `trust::diagnosis::codes`, `CATALOGUE`, the TLS alert names (`alert_name`...).
pub mod diagnosis;
mod error;
mod identity;
mod inspect;
mod kind;
mod load;
mod pin;
mod policy;
mod rfc5280;
// How an inspection reads to a person.
mod text;
mod verifier;

// For admins (the "admin" room): lint against platform rules, the anchor store, exports.
pub mod export;
pub mod lint;
pub mod store;

pub use anchor::{AnchorRole, Anchors};
pub use capture::ChainCapture;
pub use diagnosis::{diagnose, ApplePlatformName, Diagnosis};
pub use error::{Error, Refusal};
pub use identity::{check_device_id, same_device_id, DeviceIdCheck, Identity, ACCESSORY_DOMAIN};
pub use inspect::Inspection;
pub use kind::ErrorKind;
pub use load::{
    load_certificates, parse_certificates, read_file_bounded, read_input, MAX_INPUT_BYTES,
};
pub use pin::Pin;
pub use policy::{Note, Observed, Tofu, TrustPolicy, TrustPolicyBuilder, MIN_RSA_BITS};
pub use text::{OfflineVerdict, PinSpellings};
pub use verifier::{client_config, AccessoryVerifier};

/// The certificate and time types of the rustls family, re-exported so callers need not depend on
/// `rustls-pki-types` themselves.
pub use rustls_pki_types::{CertificateDer, UnixTime};
