//! The accessory's wire contract: everything the provisioning client (`provision`) and the simulated
//! accessory (`accessory-sim`) must agree on, in one place, with no I/O (no sockets, no files, no
//! environment). [`api`] holds the JSON of the accessory API and its paths; [`Security`],
//! [`validate_ssid`] and [`validate_passphrase`] the network rules; [`wpa_psk`] the key a WPA network
//! derives from a passphrase; [`pop`] the proof of possession bound to a TLS session;
//! [`label`] the text payload a unit's label and QR code carry; [`softap`] the registry a simulated SoftAP advertises itself in; [`AccessoryAddress`] the
//! `HOST[:PORT]` a person types to name an accessory; [`esp`] ESP-IDF's SoftAP provisioning (protocomm
//! security 1 and 2, wifi_provisioning), both roles.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

// `HOST[:PORT]`, the default port 443.
mod address;
// ESP-IDF provisioning: protobuf codecs and handshake state machines for both roles.
pub mod esp;
// The accessory API's JSON, paths and limits.
pub mod api;
// SSID and passphrase rules; the security kinds.
mod network;
// The accessory's label: device id, SSID, key, PoP code, as text and QR code.
pub mod label;
// Proof of possession.
pub mod pop;
// Declarative API profiles: an accessory's own HTTPS API described in TOML.
pub mod profile;
// The WPA pre-shared key.
mod psk;
// The SoftAP registry format.
pub mod softap;

pub use address::{AccessoryAddress, AddressError, Host, DEFAULT_PORT};
pub use network::{
    validate_passphrase, validate_ssid, NetworkError, ParseSecurityError, Security, SSID_MAX_LEN,
};
pub use psk::{wpa_psk, Psk};
