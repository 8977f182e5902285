//! What a provisioning run ends with: an `Outcome` when the accessory joined, a `Failure` (the
//! error, its diagnosis, how far it got) otherwise. Both serialize for `--json`.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use protocol::api::DeviceInfo;

use crate::error::Error;
use crate::step::Step;

/// Network round trips, counted honestly: every TCP connect attempt (a refused SYN is one too),
/// each TLS handshake (two for TLS 1.2 or a HelloRetryRequest), each HTTP exchange.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundTrips {
    /// TCP connect attempts.
    pub tcp: u32,
    /// TLS handshake round trips.
    pub tls: u32,
    /// HTTP request/answer exchanges.
    pub http: u32,
}

impl RoundTrips {
    /// The sum. The floor for one provisioning is 5: TCP, TLS 1.3, device, network+apply, one
    /// long-poll answer.
    pub fn total(&self) -> u32 {
        self.tcp + self.tls + self.http
    }
}

impl Serialize for RoundTrips {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("RoundTrips", 4)?;
        st.serialize_field("total", &self.total())?;
        st.serialize_field("tcp", &self.tcp)?;
        st.serialize_field("tls", &self.tls)?;
        st.serialize_field("http", &self.http)?;
        st.end()
    }
}

impl fmt::Display for RoundTrips {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (tcp {}, tls {}, http {})",
            self.total(),
            self.tcp,
            self.tls,
            self.http
        )
    }
}

/// The accessory joined the network.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Where it was reached.
    pub address: String,
    /// What it said about itself.
    pub device: DeviceInfo,
    /// The network it joined.
    pub ssid: String,
    /// The address it got there, when it said.
    pub ip: Option<String>,
    /// Its key, `sha256/BASE64`.
    pub pin: String,
    /// SHA-256 of its leaf certificate, hex.
    pub fingerprint: String,
    /// Whether this run recorded its key for the first time (trust on first use).
    pub first_use: bool,
    /// How many times the session was opened again (the accessory rebooted to apply).
    pub reconnects: u32,
    /// The network round trips it took.
    pub round_trips: RoundTrips,
    /// Wall time from start to the joined status, in milliseconds.
    pub elapsed_ms: u64,
    /// The attempt's id in the ledger, when one was used.
    pub attempt: Option<i64>,
}

/// The accessory did not join, or was never sent the network: what went wrong, and why.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub error: Error,
    /// The same, for a person: stable code, cause, fix, what the phones call it.
    pub diagnosis: trust::Diagnosis,
    /// The step that failed.
    pub step: Step,
    /// The accessory as it was addressed (`HOST:PORT`).
    pub address: String,
    /// The device id, when known.
    pub device_id: Option<String>,
    /// The key the accessory presented, when the handshake got that far: (pin, fingerprint).
    pub observed: Option<(String, String)>,
    /// Whether the home network credentials were sent (false for every trust failure).
    pub credentials_sent: bool,
    /// The network round trips it took, up to the failure.
    pub round_trips: RoundTrips,
    /// Wall time from start to the failure, in milliseconds.
    pub elapsed_ms: u64,
    /// The attempt's id in the ledger, when one was used (and could be recorded).
    pub attempt: Option<i64>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl Serialize for Failure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Failure", 11)?;
        st.serialize_field("code", &self.diagnosis.code)?;
        st.serialize_field("error", &self.error.to_string())?;
        st.serialize_field("step", &self.step)?;
        st.serialize_field("address", &self.address)?;
        st.serialize_field("device_id", &self.device_id)?;
        st.serialize_field("pin", &self.observed.as_ref().map(|o| &o.0))?;
        st.serialize_field("fingerprint", &self.observed.as_ref().map(|o| &o.1))?;
        st.serialize_field("credentials_sent", &self.credentials_sent)?;
        st.serialize_field("round_trips", &self.round_trips)?;
        st.serialize_field("elapsed_ms", &self.elapsed_ms)?;
        st.serialize_field("attempt", &self.attempt)?;
        st.serialize_field("diagnosis", &self.diagnosis)?;
        st.end()
    }
}
