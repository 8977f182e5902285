//! The accessory's reply to one application record sent after the handshake.

use std::fmt;

use serde::Serialize;

use crate::Alert;

/// What came back after the probe sent one application record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reply {
    /// Application data came back: the accessory read the record (whatever it thought of the
    /// request).
    Answered {
        /// The first line of the answer (`HTTP/1.1 404 Not Found`), at most 80 characters.
        first_line: String,
    },
    /// A fatal alert (`record_overflow` from a stack that says why).
    Alert {
        /// The alert the accessory sent.
        alert: Alert,
    },
    /// The accessory closed the connection without an alert (mbedTLS's answer to a record over
    /// its input buffer) or with only `close_notify`.
    Closed,
    /// The connection was reset.
    Reset,
    /// Nothing came back within the time allowed.
    Silent {
        /// How long the probe waited, in seconds.
        seconds: u64,
    },
    /// Something else went wrong (a socket error, a TLS error that is not an alert).
    Failed {
        /// What happened, in words.
        what: String,
    },
}

impl Reply {
    /// True when the accessory read the record: application data came back.
    pub fn read(&self) -> bool {
        matches!(self, Reply::Answered { .. })
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Answered { first_line } => write!(f, "answered \"{first_line}\""),
            Reply::Alert { alert } => write!(f, "alert {alert}"),
            Reply::Closed => f.write_str("closed without an alert"),
            Reply::Reset => f.write_str("reset"),
            Reply::Silent { seconds } => write!(f, "no answer in {seconds} s"),
            Reply::Failed { what } => f.write_str(what),
        }
    }
}
