//! Certificates for Wi-Fi accessories, good and faulty, and the manufacturer CA that signs them.
//!
//! A [`CertProfile`] describes one kind of certificate an accessory may present (`good-chain`,
//! `expired`, `rsa-1024`...) and the verdict a verifying client must reach under each trust mode;
//! [`generate`] makes its [`Material`] (chain, key, anchors, pin); [`serving`] turns that into what a
//! rustls server serves; [`catalogue`] writes every profile and a `manifest.json` for other tools.
//! [`ManufacturerCa`] and [`mint`] are the same machinery for a real manufacturing line.
//!
//! ```
//! # fn main() -> Result<(), certs::Error> {
//! let material = certs::generate("expired", &certs::Options::new("SIM-0001"))?;
//! assert_eq!(material.profile.expect.pin, certs::Expected::Accept);
//! assert_eq!(material.profile.expect.anchors.code(), Some("cert.expired"));
//! assert!(material.chain_pem().starts_with("-----BEGIN CERTIFICATE-----"));
//! // What a rustls server's `ResolvesServerCert` hands out:
//! let served = certs::serving::certified_key(&material)?;
//! assert_eq!(served.cert.len(), 2); // leaf, intermediate
//! # Ok(())
//! # }
//! ```
//!
//! Dependencies: rcgen makes everything it can. RustCrypto `rsa`, `sha1`, `x509-cert` and `der`
//! make what rcgen and aws-lc-rs refuse to (RSA-1024 keys, SHA-1 signatures). This crate also
//! depends on `rustls`, a deliberate change to DESIGN.md's `certs -> (rcgen)`: serving an RSA-1024
//! key needs a `rustls::sign::SigningKey` of our own, and the simulator and tests should not each
//! write it. `trust` is not a dependency (pins are computed here with sha2 and base64).
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod ca;
// `catalogue`, `mint` and `serving` stay public: each is a namespace callers name
// (`catalogue::write`, `mint::mint`, `serving::certified_key`).
pub mod catalogue;
mod device_id;
mod error;
mod files;
mod generate;
// The unit's label as files: payload, QR code (SVG, PNG), PoP code.
pub mod label;
mod material;
pub mod mint;
mod pem;
mod profile;
mod rsa_legacy;
pub mod serving;
mod template;

pub use ca::{
    CaSummary, ManufacturerCa, DEFAULT_ORGANIZATION, INTERMEDIATE_CERT, INTERMEDIATE_KEY,
    ROOT_CERT, ROOT_KEY,
};
pub use device_id::{another as another_device_id, validate as validate_device_id, DNS_SUFFIX};
pub use error::Error;
pub use generate::{generate, generate_with_ca, Options};
pub use material::{file, Material, Written};
pub use pem::{certificate_pin, fingerprint, spki_pin};
pub use profile::{
    faulty_profiles, profile_named, profiles, CertProfile, Expectations, Expected, ProfileIdentity,
    TrustMode, SOFTAP_IP, WRONG_KEY,
};
