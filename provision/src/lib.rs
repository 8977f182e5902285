//! Provision a Wi-Fi accessory: reach it over its SoftAP, verify it with a trust policy, send it the
//! home network, confirm it joined, and record it in the ledger.
//!
//! [`run`] takes a [`Request`] (where the accessory is, how to trust it, the network to send) and
//! ends in an [`Outcome`] or a [`Failure`] whose `trust::Diagnosis` says what happened, why, and
//! what to do. The order of the flow is its security argument: nothing secret (the passphrase, the
//! proof of possession) is written before the verifier accepted the peer, the device id it
//! reports was proven by its certificate and, for a first use, the key was confirmed. [`Ledger`] is the record (SQLite, or PostgreSQL shared by stations) of accessories (their first-use pins) and
//! attempts; it never holds a passphrase.
//!
//! The accessory's wire contract (API JSON, network rules, PSK, proof of possession, SoftAP
//! registry, [`AccessoryAddress`]) is the `protocol` crate's; the types a [`Request`] holds are
//! re-exported here.
//!
//! The Wi-Fi join layer (discover, join, wait for an address, leave) supplies the accessory's
//! address and the interface to bind to ([`Request::bind_device`]).
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

// One TLS session and HTTP/1.1 exchanges over it.
// Choosing the home network from the accessory's list, as esp_prov does.
pub mod choose;
mod client;
// TCP with retries and SO_BINDTODEVICE.
mod connect;
// Errors as diagnoses, and the codes this crate adds. Public: callers name
// `provision::diagnosis::codes`.
pub mod diagnosis;
mod error;
// ESP-IDF provisioning (protocomm over HTTP): the peer proven by security 1 or 2.
pub mod esp;
// What a run is doing now, for whoever watches.
mod event;
// The steps, in order.
mod flow;
// Many accessories from one inventory: workers, resume, progress events, the report.
pub mod fleet;
// The ledger: SQLite, or PostgreSQL shared by stations.
mod ledger;
// What a run ends with.
mod outcome;
// Reading the accessory's label: its payload as text, or a photo of its QR code.
pub mod label;
// An accessory's own HTTPS API from an API profile (the built-in one is our /v1 API).
mod profile;
// An accessory whose reported id its certificate names.
mod proven;
// What a run needs.
mod request;
// Credentials in memory.
mod secret;
// The steps of a run.
mod step;
// The exchange's typed steps: a connected session, a trusted one.
mod trusted;
// How a run's end reads to a person.
mod text;
// The Wi-Fi join layer: backends (sim, networkmanager, wpa_supplicant, none), the DHCP client,
// choosing the SoftAP, leaving and restoring. A namespace of its own: `provision::wifi::SimBackend`.
pub mod wifi;

pub use error::Error;
pub use event::{Event, Observer, Timed};
pub use flow::{networks, run, run_observed, run_profiled};
pub use ledger::{
    AccessoryRecord, AttemptOutcome, AttemptRecord, Claim, History, Ledger, Listing,
    ATTEMPT_DEADLINE, SCHEMA_VERSION,
};
pub use outcome::{Failure, Outcome, RoundTrips};
pub use profile::{LoadedProfile, ProfileLoadError};
pub use protocol::api::DeviceInfo;
pub use protocol::{AccessoryAddress, Host, Security, DEFAULT_PORT};
pub use request::{
    ClientCert, ClientCertError, ExpectedKey, FirstUse, FirstUseQuestion, Network, Request,
    TrustInputs,
};
pub use secret::{
    read_secret_file, PassphraseError, Problem, Secret, SecretFileError, MAX_SECRET_LINE,
    NETWORK_PASSPHRASE_ENV, SOFTAP_PASSPHRASE_ENV,
};
pub use step::Step;
pub use text::accessory_table;
