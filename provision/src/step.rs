//! The steps of a provisioning run, named in errors and outcomes ("how far did it get").

use std::fmt;

use serde::Serialize;

/// The steps of the flow, for "how far did it get".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    Prepare,
    Connect,
    Handshake,
    ConfirmFirstUse,
    Device,
    Network,
    Status,
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
            Step::Network => "PUT /v1/network",
            Step::Status => "GET /v1/status",
            Step::Record => "recording in the ledger",
        })
    }
}
