//! A simulated Wi-Fi accessory: the HTTPS provisioning API of DESIGN.md, served over real TLS on a
//! real socket, with a catalogue of the failures accessories show in the field.
//!
//! A QA engineer or a test describes one accessory as a [`Scenario`] (TOML: id, model, certificate
//! profile, the networks it sees with their passphrases, timings, [`Fault`]s) and starts it with
//! [`Simulator::start`]; [`Fleet::start`] runs many in one process. The simulator keeps a record of
//! every request it received ([`RequestRecord`]) so a test can prove that an accessory the client
//! refused never received the home passphrase.
//!
//! - `scenario`: the TOML description of one accessory.
//! - `fault`: the fault catalogue, parsed from `name[=value]`.
//! - `admission`: the connection cap, which connections are shed first, the descriptor limit.
//! - `alert`: TLS alerts by name, and the plaintext alert record.
//! - `identity`: the certificate served, the anchors, the pin (from `certs` profiles).
//! - `tls`: the rustls server configuration (versions, client certificates).
//! - `client_auth`: the client CA for `require-client-cert`.
//! - `clienthello`: reading the first TLS record before rustls, for `clienthello-limit`.
//! - `drip`: a stream that sends one byte at a time.
//! - `server`: accept loop, wire faults, reboot, [`RunningSim`].
//! - `api`: the HTTP routes, validation, JSON errors.
//! - `device`: the accessory's Wi-Fi state machine behind the long poll.
//! - `handout`: the files written for the tester (anchors, pin, test secrets), one name rule.
//! - `run_dir`: where a run's files go (a private per-run directory) and how each is created.
//! - `fleet`: many accessories under one manufacturer CA, and their manifest.
//! - `record`: the request log.
//! - `request_value`: the one bounded parser for values read from a request.
//! - `error`: the one error type.
//! - `profile`: the API profile (`--api-profile`) an accessory answers instead of `/v1`.
//! - `profile_api`: the routes that answer it.
//! - `esp`: the accessory as an ESP-IDF device (protocomm over HTTP or HTTPS, security 1 and 2).
//! - `softap`: a SoftAP in a network namespace (veth, dnsmasq, registry, link faults), needs root.
//!
//! What the accessory shares with its clients (the API's JSON, the network rules, the PSK, proof of
//! possession, the SoftAP registry format) lives in the `protocol` crate.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod admission;
mod alert;
mod api;
mod client_auth;
mod clienthello;
mod device;
mod drip;
mod error;
mod esp;
mod fault;
mod fleet;
mod handout;
mod identity;
mod in_content;
mod personality;
mod profile;
mod profile_api;
mod record;
mod request_value;
mod run_dir;
mod scenario;
mod server;
mod softap;
mod tls;

pub use admission::{default_max_connections, raise_descriptor_limit};
pub use alert::Alert;
pub use api::{carries_credential, parse_network, parse_wait, ApiError, NetworkBody};
pub use client_auth::ClientCredentials;
pub use error::Error;
pub use esp::{EspAuth, EspOptions, EspSimulator, EspTransport, RunningEsp};
pub use fault::certificate_faults;
pub use fault::{AlertPoint, ClientCertRefusal, Fault, FaultKind, LimitAnswer, FAULT_KINDS};
pub use fleet::{Fleet, FleetOptions, Manifest, ManifestEntry};
pub use handout::{
    passphrase_file_name, ClientFiles, Handout, NetworkFile, SimHandout, SoftApHandout,
};
pub use personality::{Behaviour, Personality};
pub use profile::ServedProfile;
pub use record::RequestRecord;
pub use run_dir::base_dir as run_base_dir;
pub use scenario::{Network, Scenario, Timings, HEADER_READ_TIMEOUT};
pub use server::{RunningSim, Simulator};
pub use softap::{
    is_root, registry_dir as softap_registry_dir, sweep_stale as sweep_stale_softaps,
    Auth as SoftApAuth, Error as SoftApError, LinkFault, ParseLinkFaultError, SoftAp, SoftApConfig,
    ACCESSORY_ADDRESS, ACCESSORY_PORT, NAMESPACE_PREFIX as SOFTAP_NAMESPACE_PREFIX,
};
