//! What the ledger holds, as callers read it: accessories (their keys), attempts (with their
//! station and outcome), and the two views `accessory ledger list` and `show` print.

use serde::Serialize;
use time::OffsetDateTime;

/// Every accessory in a ledger ([`Ledger::listing`](crate::Ledger::listing)); its `Display` is the table.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    /// The ledger file.
    pub ledger: String,
    /// The accessories, most recent first.
    pub accessories: Vec<AccessoryRecord>,
    /// Every attempt from every station, newest first.
    pub attempts: Vec<AttemptRecord>,
}

/// One accessory's record and attempts ([`Ledger::history`](crate::Ledger::history)).
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The device id asked for.
    pub id: String,
    /// Its key, unless forgotten or never verified.
    pub accessory: Option<AccessoryRecord>,
    /// Every provisioning attempt.
    pub attempts: Vec<AttemptRecord>,
}

/// One accessory as the ledger knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessoryRecord {
    /// The device id it reported (and its certificate names).
    pub id: String,
    /// The SPKI pin of its key, `sha256/BASE64`: what trust on first use compares against.
    pub pin: String,
    /// SHA-256 of its leaf certificate, hex.
    pub fingerprint: String,
    /// The model it reported when last provisioned (`GET /v1/device`); `None` when it said none.
    pub model: Option<String>,
    /// The firmware version it reported then; `None` when it said none.
    pub firmware: Option<String>,
    /// When it was first recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    /// When it was last provisioned.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// Started and not (yet) finished: still running, or the process was killed.
    InProgress,
    /// The accessory reported that it joined the network.
    Connected,
    /// Anything else; the diagnosis code says what.
    Failed,
    /// Never finished: its station was killed or lost (marked when its deadline had passed).
    Interrupted,
}

impl AttemptOutcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Connected => "connected",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "connected" => Self::Connected,
            "in_progress" => Self::InProgress,
            "interrupted" => Self::Interrupted,
            _ => Self::Failed,
        }
    }
}

/// One provisioning attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptRecord {
    /// The attempt's number in this ledger.
    pub id: i64,
    /// The device id, once known (from `--device-id` or the accessory's answer).
    pub device_id: Option<String>,
    /// Where the accessory was reached (`host:port`).
    pub address: String,
    /// The home network it was given. Never the passphrase.
    pub ssid: String,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started: OffsetDateTime,
    /// When it ended; `None` while in progress (or when its station died before marking it).
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended: Option<OffsetDateTime>,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// The diagnosis code of a failure (`cert.expired`, `accessory.auth_failed`...).
    pub diagnosis: Option<String>,
    /// Network round trips the attempt took (TCP, TLS, HTTP).
    pub round_trips: Option<u32>,
    /// The station that made it ([`Ledger::station`](crate::Ledger::station)); none for attempts from before stations.
    pub station: Option<String>,
}
