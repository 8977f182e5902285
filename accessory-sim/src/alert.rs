//! TLS alerts by their RFC 8446 names, and the plaintext alert record a small embedded stack sends.
//!
//! Embedded TLS stacks that give up early (a ClientHello too large for their buffer, a certificate
//! they dislike) answer with a plaintext alert record instead of a ServerHello. Clients report those
//! by name (`SSL alert number 42`, Apple's `errSSLPeerBadCert`), so the simulator speaks them by name.

use std::fmt;
use std::str::FromStr;

/// A TLS alert description, spelled as in RFC 8446 (`bad_certificate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert(u8);

const ALERTS: &[(&str, u8)] = &[
    ("close_notify", 0),
    ("unexpected_message", 10),
    ("bad_record_mac", 20),
    ("record_overflow", 22),
    ("handshake_failure", 40),
    ("bad_certificate", 42),
    ("unsupported_certificate", 43),
    ("certificate_revoked", 44),
    ("certificate_expired", 45),
    ("certificate_unknown", 46),
    ("illegal_parameter", 47),
    ("unknown_ca", 48),
    ("access_denied", 49),
    ("decode_error", 50),
    ("decrypt_error", 51),
    ("protocol_version", 70),
    ("insufficient_security", 71),
    ("internal_error", 80),
    ("inappropriate_fallback", 86),
    ("user_canceled", 90),
    ("missing_extension", 109),
    ("unsupported_extension", 110),
    ("unrecognized_name", 112),
    ("bad_certificate_status_response", 113),
    ("unknown_psk_identity", 115),
    ("certificate_required", 116),
    ("no_application_protocol", 120),
];

impl Alert {
    /// `bad_certificate` (42): what Apple reports as `errSSLPeerBadCert` (-9825).
    pub const BAD_CERTIFICATE: Alert = Alert(42);
    /// `handshake_failure` (40).
    pub const HANDSHAKE_FAILURE: Alert = Alert(40);

    /// The alert's number on the wire.
    pub fn code(self) -> u8 {
        self.0
    }

    /// The RFC name, or `alert_N` for a number without one.
    pub fn name(self) -> String {
        ALERTS
            .iter()
            .find(|(_, c)| *c == self.0)
            .map(|(n, _)| (*n).to_owned())
            .unwrap_or_else(|| format!("alert_{}", self.0))
    }

    /// The 7-byte plaintext record a server sends for a fatal alert before any keys exist:
    /// content type 21, legacy version TLS 1.2, length 2, level fatal, description.
    pub fn plaintext_record(self) -> [u8; 7] {
        [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, self.0]
    }

    /// Every name this parser knows, for error messages.
    pub fn known_names() -> String {
        ALERTS
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Alert {
    type Err = String;

    /// Accepts the RFC name (`bad_certificate`, also with dashes) or the number (`42`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace('-', "_").to_ascii_lowercase();
        if let Ok(n) = wanted.parse::<u8>() {
            return Ok(Alert(n));
        }
        ALERTS
            .iter()
            .find(|(n, _)| *n == wanted)
            .map(|(_, c)| Alert(*c))
            .ok_or_else(|| {
                format!(
                    "unknown alert `{s}` (known: {}, or a number)",
                    Self::known_names()
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_certificate_is_alert_42_on_the_wire() {
        let a: Alert = "bad_certificate".parse().unwrap();
        assert_eq!(a.plaintext_record(), [0x15, 3, 3, 0, 2, 2, 0x2a]);
        assert_eq!(a.to_string(), "bad_certificate");
    }

    #[test]
    fn unknown_alert_names_are_refused_with_the_catalogue() {
        let e = "bad_cert".parse::<Alert>().unwrap_err();
        assert!(e.contains("bad_certificate"), "{e}");
    }
}
