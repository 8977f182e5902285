//! The steps of a provisioning run, named in errors and outcomes ("how far did it get").

use std::fmt;

use serde::Serialize;

/// The steps of the flow, for "how far did it get".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    /// Checking the request and resolving the accessory's address; nothing sent yet.
    Prepare,
    /// Opening the TCP connection.
    Connect,
    /// The TLS handshake and the trust policy's verdict.
    Handshake,
    /// Trust on first use: the fingerprint confirmed by `--expect-fingerprint` or a person.
    ConfirmFirstUse,
    /// `GET /v1/device`: who the accessory says it is.
    Device,
    /// `GET /v1/networks`: the networks the accessory sees, for a person to choose from.
    Networks,
    /// `PUT /v1/network`: the home network sent.
    Network,
    /// `GET /v1/status`: waiting for the accessory to join.
    Status,
    /// Recording the outcome in the ledger.
    Record,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Prepare => "preparing",
            Step::Connect => "connecting",
            Step::Handshake => "the TLS handshake",
            Step::ConfirmFirstUse => "confirming the first-use key",
            Step::Device => "GET /v1/device",
            Step::Networks => "GET /v1/networks",
            Step::Network => "PUT /v1/network",
            Step::Status => "GET /v1/status",
            Step::Record => "recording in the ledger",
        })
    }
}
