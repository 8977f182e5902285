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
    Resolve {
        /// The name given.
        host: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// The socket could not be bound to the Wi-Fi interface (`SO_BINDTODEVICE`).
    #[error("cannot bind to interface {device}: {source}")]
    BindDevice {
        /// The interface (`wlan0`).
        device: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// No TCP connection could be made before the deadline.
    #[error("cannot connect to {addr} ({attempts} attempt{s}): {source}", s = if *attempts == 1 { "" } else { "s" })]
    Connect {
        /// The accessory's address.
        addr: SocketAddr,
        /// How many connections were tried.
        attempts: u32,
        /// The last attempt's error.
        source: io::Error,
    },
    /// The TLS handshake failed: refused by the trust policy, or by the accessory, or broken off.
    /// The inner error is rustls's (inside `io::Error`) when TLS itself failed.
    #[error("TLS handshake with {addr} failed: {}", handshake_text(source))]
    Handshake {
        /// The accessory's address.
        addr: SocketAddr,
        /// Why the handshake failed (rustls's error inside, when TLS failed).
        source: io::Error,
    },
    /// The client certificate or key given for mutual TLS cannot be used.
    #[error("client certificate: {0}")]
    ClientCert(String),
    /// Trust on first use, and nobody confirmed the fingerprint (no `--expect-fingerprint`, and no
    /// terminal to ask on, or the person answered no). Nothing secret was sent.
    #[error("first use of {who}: the key was not confirmed (observed fingerprint {fingerprint}, pin {pin})")]
    FirstUseUnconfirmed {
        /// The device id asked for, or else the address.
        who: String,
        /// SHA-256 of the leaf certificate's DER, lowercase hex.
        fingerprint: String,
        /// The pin of the leaf's key (`sha256/BASE64`).
        pin: String,
    },
    /// `--expect-fingerprint` did not match what the accessory presented. Nothing secret was sent.
    #[error("the accessory's key is not the expected one: expected {expected}, observed fingerprint {fingerprint} (pin {pin})")]
    FingerprintMismatch {
        /// The fingerprint or pin given (`--expect-fingerprint`).
        expected: String,
        /// The presented leaf's SHA-256 fingerprint, lowercase hex.
        fingerprint: String,
        /// The pin of the leaf's key (`sha256/BASE64`).
        pin: String,
    },
    /// The accessory's key differs from the one recorded at first use (or from the one it had
    /// before it rebooted). Nothing secret was sent.
    #[error("the key of {device_id} has changed: recorded pin {recorded_pin} (fingerprint {recorded_fingerprint}), now pin {observed_pin} (fingerprint {observed_fingerprint})")]
    KeyChanged {
        /// The accessory's device id.
        device_id: String,
        /// The pin recorded (`sha256/BASE64`).
        recorded_pin: String,
        /// The certificate fingerprint recorded (SHA-256, lowercase hex).
        recorded_fingerprint: String,
        /// The pin of the key presented now.
        observed_pin: String,
        /// The fingerprint of the certificate presented now.
        observed_fingerprint: String,
    },
    /// The accessory reports another device id than the one asked for (`--device-id`). Nothing
    /// secret was sent.
    #[error("the accessory is {reported}, not {expected}")]
    DeviceIdMismatch {
        /// The device id asked for.
        expected: String,
        /// The device id the accessory reports.
        reported: String,
    },
    /// The accessory reports a device id its certificate does not name (it names others). Nothing
    /// secret was sent.
    #[error("the accessory reports device id {reported}, but its certificate names {certified}")]
    DeviceIdNotCertified {
        /// The device id the accessory reports.
        reported: String,
        /// The device ids its certificate names, comma-separated.
        certified: String,
    },
    /// The accessory's certificate names no device id (no subject CN or serialNumber, no DNS name
    /// `<id>.accessory.local`), so the id it reports cannot be proven. Nothing secret was sent.
    #[error("the accessory reports device id {reported}, but its certificate names no device id")]
    DeviceIdUnproven {
        /// The device id the accessory reports.
        reported: String,
    },
    /// The accessory requires proof of possession and refused ours (or we had none).
    #[error("the accessory refused the proof of possession ({}): {message}", if *sent { "the label code is wrong" } else { "none was given" })]
    PopRejected {
        /// Whether a proof was sent.
        sent: bool,
        /// The HTTP status it answered (403).
        status: u16,
        /// Its error message.
        message: String,
    },
    /// The accessory refused the static header its API profile names (a bearer token, an API
    /// key): 401 or 403 to a request that carried it.
    #[error("the accessory refused the {header} header of the API profile ({status}){}{message}", if message.is_empty() { "" } else { ": " })]
    HeaderRejected {
        /// The header's name.
        header: String,
        /// The HTTP status it answered.
        status: u16,
        /// Its error message.
        message: String,
    },
    /// The accessory answered a request with an error status.
    #[error("{step}: the accessory answered {status}{}{message}", if message.is_empty() { "" } else { ": " })]
    AccessoryHttp {
        /// The step the request belonged to.
        step: Step,
        /// The HTTP status.
        status: u16,
        /// The stable code in its JSON body (`invalid_passphrase`); empty when it sent none.
        code: String,
        /// The message in its JSON body (the body's first 200 bytes when it is not that JSON).
        message: String,
    },
    /// The accessory answered something that is not the documented API.
    #[error("{step}: malformed answer from the accessory: {detail}")]
    Malformed {
        /// The step the answer belonged to.
        step: Step,
        /// What is wrong with it.
        detail: String,
    },
    /// The accessory tried the network and reports failure (`auth_failed`, `network_not_found`,
    /// `dhcp_failed`, `timeout`, or another reason it names).
    #[error("the accessory could not join {ssid}: {reason}")]
    JoinFailed {
        /// The network it was sent.
        ssid: String,
        /// As the accessory reported it (`unknown` when it named none).
        reason: Reason,
    },
    /// ESP-IDF provisioning failed in the protocol itself: security 0 or `no_pop` offered (refused:
    /// no peer authentication), the device's proof did not verify, or a message did not decode.
    #[error("{step}: ESP-IDF provisioning: {source}")]
    Esp {
        /// The step the exchange had reached (session, scan, config or status).
        step: Step,
        /// What the ESP-IDF codec refused or could not decode.
        source: protocol::esp::Error,
    },
    /// The connection dropped and could not (or may not) be re-established.
    #[error("{step}: the connection to the accessory was lost: {source}")]
    ConnectionLost {
        /// The step it was lost in.
        step: Step,
        /// The transport's error (hyper's, or rustls's inside it).
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The deadline passed.
    #[error("the deadline passed during {step}")]
    Deadline {
        /// The step that was running.
        step: Step,
    },
    /// The caller's shutdown future resolved (Ctrl-C, SIGTERM) during `step`; the attempt was
    /// recorded as interrupted.
    #[error("interrupted during {step}")]
    Interrupted {
        /// The step that was running.
        step: Step,
    },
    /// The ledger file could not be opened, read or written.
    #[error("ledger {path}: cannot {action}: {source}")]
    Ledger {
        /// The ledger file.
        path: PathBuf,
        /// What was being done (`create its directory`, `check integrity`).
        action: &'static str,
        /// SQLite's or the file system's error.
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
        /// The ledger file.
        path: PathBuf,
        /// The schema version in the file.
        found: i32,
        /// The newest schema version this tool reads.
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
