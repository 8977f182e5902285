//! The one error type of this library. Every variant carries what a person needs to act on it; the
//! flow turns each into a `trust::Diagnosis` (see `diagnosis.rs`) with a stable code.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

use protocol::api::Reason;

use crate::step::Step;

/// Everything that can go wrong while provisioning an accessory or using the ledger.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request itself is unusable (an empty trust policy, a malformed expected fingerprint, an
    /// invalid SSID or passphrase). Nothing was sent.
    #[error("{0}")]
    InvalidRequest(String),
    /// The accessory's name did not resolve to an address.
    #[error("cannot resolve {host}: {source}")]
    Resolve { host: String, source: io::Error },
    /// The socket could not be bound to the Wi-Fi interface (`SO_BINDTODEVICE`).
    #[error("cannot bind to interface {device}: {source}")]
    BindDevice { device: String, source: io::Error },
    /// No TCP connection could be made before the deadline.
    #[error("cannot connect to {addr} ({attempts} attempt{s}): {source}", s = if *attempts == 1 { "" } else { "s" })]
    Connect {
        addr: SocketAddr,
        attempts: u32,
        source: io::Error,
    },
    /// The TLS handshake failed: refused by the trust policy, or by the accessory, or broken off.
    /// The inner error is rustls's (inside `io::Error`) when TLS itself failed.
    #[error("TLS handshake with {addr} failed: {}", handshake_text(source))]
    Handshake { addr: SocketAddr, source: io::Error },
    /// The client certificate or key given for mutual TLS cannot be used.
    #[error("client certificate: {0}")]
    ClientCert(String),
    /// Trust on first use, and nobody confirmed the fingerprint (no `--expect-fingerprint`, and no
    /// terminal to ask on, or the person answered no). Nothing secret was sent.
    #[error("first use of {who}: the key was not confirmed (observed fingerprint {fingerprint}, pin {pin})")]
    FirstUseUnconfirmed {
        who: String,
        fingerprint: String,
        pin: String,
    },
    /// `--expect-fingerprint` did not match what the accessory presented. Nothing secret was sent.
    #[error("the accessory's key is not the expected one: expected {expected}, observed fingerprint {fingerprint} (pin {pin})")]
    FingerprintMismatch {
        expected: String,
        fingerprint: String,
        pin: String,
    },
    /// The accessory's key differs from the one recorded at first use (or from the one it had
    /// before it rebooted). Nothing secret was sent.
    #[error("the key of {device_id} has changed: recorded pin {recorded_pin} (fingerprint {recorded_fingerprint}), now pin {observed_pin} (fingerprint {observed_fingerprint})")]
    KeyChanged {
        device_id: String,
        recorded_pin: String,
        recorded_fingerprint: String,
        observed_pin: String,
        observed_fingerprint: String,
    },
    /// The accessory reports another device id than the one asked for (`--device-id`). Nothing
    /// secret was sent.
    #[error("the accessory is {reported}, not {expected}")]
    DeviceIdMismatch { expected: String, reported: String },
    /// The accessory reports a device id its certificate does not name (it names others). Nothing
    /// secret was sent.
    #[error("the accessory reports device id {reported}, but its certificate names {certified}")]
    DeviceIdNotCertified { reported: String, certified: String },
    /// The accessory's certificate names no device id (no subject CN or serialNumber, no DNS name
    /// `<id>.accessory.local`), so the id it reports cannot be proven. Nothing secret was sent.
    #[error("the accessory reports device id {reported}, but its certificate names no device id")]
    DeviceIdUnproven { reported: String },
    /// The accessory requires proof of possession and refused ours (or we had none).
    #[error("the accessory refused the proof of possession ({}): {message}", if *sent { "the label code is wrong" } else { "none was given" })]
    PopRejected {
        /// Whether a proof was sent.
        sent: bool,
        status: u16,
        message: String,
    },
    /// The accessory answered a request with an error status.
    #[error("{step}: the accessory answered {status}{}{message}", if message.is_empty() { "" } else { ": " })]
    AccessoryHttp {
        step: Step,
        status: u16,
        code: String,
        message: String,
    },
    /// The accessory answered something that is not the documented API.
    #[error("{step}: malformed answer from the accessory: {detail}")]
    Malformed { step: Step, detail: String },
    /// The accessory tried the network and reports failure (`auth_failed`, `network_not_found`,
    /// `dhcp_failed`, `timeout`, or another reason it names).
    #[error("the accessory could not join {ssid}: {reason}")]
    JoinFailed {
        ssid: String,
        /// As the accessory reported it (`unknown` when it named none).
        reason: Reason,
    },
    /// The connection dropped and could not (or may not) be re-established.
    #[error("{step}: the connection to the accessory was lost: {source}")]
    ConnectionLost {
        step: Step,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The deadline passed.
    #[error("the deadline passed during {step}")]
    Deadline { step: Step },
    /// The caller's shutdown future resolved (Ctrl-C, SIGTERM) during `step`; the attempt was
    /// recorded as interrupted.
    #[error("interrupted during {step}")]
    Interrupted { step: Step },
    /// The ledger file could not be opened, read or written.
    #[error("ledger {path}: cannot {action}: {source}")]
    Ledger {
        path: PathBuf,
        action: &'static str,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// No ledger path was given and there is no home directory to keep the default one in.
    #[error("no home directory to keep the ledger in; give --ledger PATH")]
    LedgerNoDefault,
    /// The ledger has no record of the accessory: no key and no attempt (`keyed: false`), or no
    /// key to forget (`keyed: true`).
    #[error("{id} {} the ledger {}", if *keyed { "has no key in" } else { "is not in" }, path.display())]
    UnknownAccessory {
        /// The device id asked for.
        id: String,
        /// The ledger file.
        path: PathBuf,
        /// Whether what is missing is the key only.
        keyed: bool,
    },
    /// The ledger was written by a newer version of this tool.
    #[error("ledger {path}: schema version {found} is newer than this tool understands ({supported}); upgrade accessory")]
    LedgerTooNew {
        path: PathBuf,
        found: i32,
        supported: i32,
    },
}

/// A handshake failure in words: the trust refusal's summary and specifics when the verifier
/// refused (rustls's own Display of a custom refusal is its Debug text), else the error itself.
fn handshake_text(source: &io::Error) -> String {
    let d = trust::Diagnosis::from_io(source);
    if d.detail.is_empty() || d.detail == source.to_string() {
        source.to_string()
    } else {
        format!("{} ({})", d.summary, d.detail)
    }
}
