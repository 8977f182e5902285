//! Proof of possession: the code on the accessory's label, bound to this TLS session.
//!
//! The client sends `Authorization: PoP <base64 HMAC-SHA256(code, exporter)>`, where the exporter
//! is 32 bytes of TLS keying material (RFC 5705 / RFC 8446 section 7.5) with the label
//! `EXPORTER-accessory-pop` and no context. Both ends derive the same bytes only inside the same
//! session, so a proof captured by a relay is worthless on any other connection.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The exporter label both ends use.
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-accessory-pop";
/// How many bytes of keying material are exported.
pub const EXPORTER_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// The header value a client sends: `PoP <base64 HMAC-SHA256(code, exporter)>`.
pub fn authorization(code: &str, exporter: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(code.as_bytes()).expect("HMAC takes any key length");
    mac.update(exporter);
    format!("PoP {}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// What a PoP check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The proof matches this session and code.
    Valid,
    /// No `Authorization: PoP` header.
    Missing,
    /// A header that is not a valid proof for this session.
    Invalid,
}

/// Checks an `Authorization` header value in constant time.
pub(crate) fn check(header: Option<&str>, code: &str, exporter: &[u8]) -> Verdict {
    let Some(value) = header else {
        return Verdict::Missing;
    };
    let Some(proof) = value
        .strip_prefix("PoP ")
        .or_else(|| value.strip_prefix("pop "))
    else {
        return Verdict::Missing;
    };
    let Ok(proof) = STANDARD.decode(proof.trim()) else {
        return Verdict::Invalid;
    };
    let mut mac = HmacSha256::new_from_slice(code.as_bytes()).expect("HMAC takes any key length");
    mac.update(exporter);
    match mac.verify_slice(&proof) {
        Ok(()) => Verdict::Valid,
        Err(_) => Verdict::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_is_valid_only_for_its_own_session_and_code() {
        let header = authorization("1234", &[7; 32]);
        assert_eq!(check(Some(&header), "1234", &[7; 32]), Verdict::Valid);
        assert_eq!(check(Some(&header), "1234", &[8; 32]), Verdict::Invalid);
        assert_eq!(check(Some(&header), "9999", &[7; 32]), Verdict::Invalid);
        assert_eq!(check(None, "1234", &[7; 32]), Verdict::Missing);
        assert_eq!(check(Some("Bearer x"), "1234", &[7; 32]), Verdict::Missing);
        assert_eq!(check(Some("PoP !!"), "1234", &[7; 32]), Verdict::Invalid);
    }
}
