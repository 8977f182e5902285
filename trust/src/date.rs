//! How this crate writes a moment: RFC 3339 in UTC. Its own file because diagnoses, inspections,
//! lint findings and policy notes all print dates, and none of them should depend on another for it.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Seconds since the epoch as RFC 3339 text (UTC); `@SECS` for a moment `time` cannot represent.
pub(crate) fn rfc3339(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{secs}"))
}
