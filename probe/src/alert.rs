//! TLS alerts by their RFC names, as reports print them.
//!
//! rustls names alerts in CamelCase (`BadCertificate`); field reports, Apple's documentation and
//! OpenSSL's logs use the RFC spelling (`bad_certificate`, "SSL alert number 42"). This is the IANA
//! TLS Alert registry, nothing more: what an alert *means* on each platform is `trust::diagnose`'s
//! business (and docs/alerts.md's).

use std::fmt;

use rustls::AlertDescription;
use serde::Serialize;

/// A TLS alert: its number on the wire and its RFC name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// The description byte on the wire (42).
    pub number: u8,
    /// The RFC name (`bad_certificate`), or `alert_N` for an unassigned number.
    pub name: &'static str,
}

/// The IANA TLS Alert registry (RFC 8446 §6, RFC 5246 §7.2, RFC 7507, RFC 9849).
const REGISTRY: &[(u8, &str)] = &[
    (0, "close_notify"),
    (10, "unexpected_message"),
    (20, "bad_record_mac"),
    (21, "decryption_failed"),
    (22, "record_overflow"),
    (30, "decompression_failure"),
    (40, "handshake_failure"),
    (41, "no_certificate"),
    (42, "bad_certificate"),
    (43, "unsupported_certificate"),
    (44, "certificate_revoked"),
    (45, "certificate_expired"),
    (46, "certificate_unknown"),
    (47, "illegal_parameter"),
    (48, "unknown_ca"),
    (49, "access_denied"),
    (50, "decode_error"),
    (51, "decrypt_error"),
    (60, "export_restriction"),
    (70, "protocol_version"),
    (71, "insufficient_security"),
    (80, "internal_error"),
    (86, "inappropriate_fallback"),
    (90, "user_canceled"),
    (100, "no_renegotiation"),
    (109, "missing_extension"),
    (110, "unsupported_extension"),
    (111, "certificate_unobtainable"),
    (112, "unrecognized_name"),
    (113, "bad_certificate_status_response"),
    (114, "bad_certificate_hash_value"),
    (115, "unknown_psk_identity"),
    (116, "certificate_required"),
    (120, "no_application_protocol"),
    (121, "ech_required"),
];

impl Alert {
    /// The alert with this number.
    pub fn from_number(number: u8) -> Self {
        let name = REGISTRY
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, name)| *name)
            .unwrap_or("unassigned");
        Self { number, name }
    }
}

impl From<AlertDescription> for Alert {
    fn from(d: AlertDescription) -> Self {
        Self::from_number(u8::from(d))
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_alerts_get_their_rfc_names() {
        assert_eq!(
            Alert::from(AlertDescription::BadCertificate).to_string(),
            "bad_certificate (42)"
        );
        assert_eq!(
            Alert::from(AlertDescription::CertificateRequired).name,
            "certificate_required"
        );
        assert_eq!(Alert::from(AlertDescription::UnknownCA).name, "unknown_ca");
        assert_eq!(Alert::from_number(200).name, "unassigned");
    }
}
