//! The request log: every request the accessory received, so a test can prove what it never got.
//!
//! A refused accessory must never have received the home passphrase; the only way to show that is
//! to ask the accessory. Each record says whether the request carried a credential (a
//! `PUT /v1/network` with a passphrase), never the credential itself.

use std::sync::Mutex;

use serde::Serialize;

/// One HTTP request as the accessory received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RequestRecord {
    /// `GET`, `PUT`...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// Whether the request carried a Wi-Fi credential (a passphrase field, even an invalid one).
    pub carried_credential: bool,
    /// The status the accessory answered.
    pub status: u16,
}

/// The log, shared by every connection of one accessory.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    records: Mutex<Vec<RequestRecord>>,
}

impl RequestLog {
    pub(crate) fn push(&self, record: RequestRecord) {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(record);
    }

    pub(crate) fn snapshot(&self) -> Vec<RequestRecord> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
