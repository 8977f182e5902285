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

impl Alert {
    /// `bad_certificate` (42): what Apple reports as `errSSLPeerBadCert` (-9825).
    pub const BAD_CERTIFICATE: Alert = Alert(42);
    /// `no_certificate` (41): what mbedTLS's TLS 1.3 server sends for a missing client
    /// certificate (`ssl_tls13_generic.c` lines 655-672 in v3.6.6).
    pub const NO_CERTIFICATE: Alert = Alert(41);
    /// `handshake_failure` (40).
    pub const HANDSHAKE_FAILURE: Alert = Alert(40);

    /// The alert's number on the wire.
    pub fn code(self) -> u8 {
        self.0
    }

    /// The RFC name, or `alert_N` for a number without one (`trust::diagnosis::alert_label`, the
    /// one table and the one fallback).
    pub fn name(self) -> &'static str {
        trust::diagnosis::alert_label(self.0)
    }

    /// The 7-byte plaintext record a server sends for a fatal alert before any keys exist:
    /// content type 21, legacy version TLS 1.2, length 2, level fatal, description.
    pub fn plaintext_record(self) -> [u8; 7] {
        [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, self.0]
    }

    /// Every name this parser knows, for error messages.
    pub fn known_names() -> String {
        trust::diagnosis::alert_names()
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Alert {
    type Err = String;

    /// Accepts the RFC name (`bad_certificate`, also with dashes), `alert_N` (how an alert without
    /// a name is displayed) or the number (`42`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace('-', "_").to_ascii_lowercase();
        if let Ok(n) = wanted.parse::<u8>() {
            return Ok(Alert(n));
        }
        trust::diagnosis::alert_number(&wanted)
            .map(Alert)
            .ok_or_else(|| {
                format!(
                    "unknown alert `{s}` (known: {}, or a number)",
                    Self::known_names()
                )
            })
    }
}

/// The same fatal alert sent after the handshake, encrypted under the server's traffic keys as
/// a real stack would: TLS 1.3 (`TLSInnerPlaintext`, RFC 8446 section 5.2) or TLS 1.2 (RFC 5246
/// section 6.2.3.3, explicit nonce for AES-GCM; RFC 7905 for ChaCha20-Poly1305).
///
/// `seq` and `secrets` are the transmit half of `ServerConnection::dangerous_extract_secrets`.
pub(crate) fn sealed_record(
    version: rustls::ProtocolVersion,
    seq: u64,
    secrets: &rustls::ConnectionTrafficSecrets,
    alert: Alert,
) -> Option<Vec<u8>> {
    use aws_lc_rs::aead::{
        Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305,
    };
    use rustls::ConnectionTrafficSecrets as S;
    let (algorithm, key, iv, gcm) = match secrets {
        S::Aes128Gcm { key, iv } => (&AES_128_GCM, key, iv, true),
        S::Aes256Gcm { key, iv } => (&AES_256_GCM, key, iv, true),
        S::Chacha20Poly1305 { key, iv } => (&CHACHA20_POLY1305, key, iv, false),
        _ => return None,
    };
    let key = LessSafeKey::new(UnboundKey::new(algorithm, key.as_ref()).ok()?);
    let mut nonce: [u8; 12] = iv.as_ref().try_into().ok()?;
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    let body = [0x02, alert.0];
    if version == rustls::ProtocolVersion::TLSv1_3 {
        // Inner plaintext: the alert, then its real content type (21); outer type 23.
        let mut inout = vec![0x02, alert.0, 0x15];
        let len = (inout.len() + 16) as u16;
        let header = [0x17, 0x03, 0x03, (len >> 8) as u8, len as u8];
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(header),
            &mut inout,
        )
        .ok()?;
        let mut record = header.to_vec();
        record.extend_from_slice(&inout);
        return Some(record);
    }
    // TLS 1.2: additional data is seq || type || version || plaintext length.
    let mut aad = seq.to_be_bytes().to_vec();
    aad.extend_from_slice(&[0x15, 0x03, 0x03, 0x00, 0x02]);
    let mut inout = body.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad.as_slice()),
        &mut inout,
    )
    .ok()?;
    let explicit: &[u8] = if gcm { &nonce[4..] } else { &[] };
    let len = (explicit.len() + inout.len()) as u16;
    let mut record = vec![0x15, 0x03, 0x03, (len >> 8) as u8, len as u8];
    record.extend_from_slice(explicit);
    record.extend_from_slice(&inout);
    Some(record)
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
    fn an_alert_without_a_name_is_spelled_alert_n_and_read_back() {
        let a: Alert = "200".parse().unwrap();
        assert_eq!(a.to_string(), "alert_200");
        assert_eq!("alert_200".parse::<Alert>().unwrap(), a);
    }

    #[test]
    fn unknown_alert_names_are_refused_with_the_catalogue() {
        let e = "bad_cert".parse::<Alert>().unwrap_err();
        assert!(e.contains("bad_certificate"), "{e}");
    }
}
