//! Proof of possession: the code on the accessory's label, bound to one TLS session.
//!
//! The client sends `Authorization: PoP <base64 HMAC-SHA256(code, exporter)>`, where the exporter
//! is [`EXPORTER_LEN`] bytes of TLS keying material (RFC 5705 / RFC 8446 section 7.5) with the label
//! [`EXPORTER_LABEL`] and no context. Both ends derive the same bytes only inside the same session,
//! so a proof captured by a relay is worthless on any other connection. It is still derived from the
//! code (a short code could be guessed offline from a captured proof), so a client sends it only to
//! a peer its trust policy accepted. Each side exports the bytes from its own TLS connection; this
//! module takes them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The exporter label both ends use.
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-accessory-pop";
/// How many bytes of keying material are exported.
pub const EXPORTER_LEN: usize = 32;
/// The `Authorization` scheme, and the `WWW-Authenticate` challenge.
pub const SCHEME: &str = "PoP";

/// The exported keying material of one TLS session.
pub type Exporter = [u8; EXPORTER_LEN];

fn mac(code: &str, exporter: &Exporter) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(code.as_bytes()).expect("HMAC takes any key length");
    mac.update(exporter);
    mac
}

/// The `Authorization` header value a client sends for this code and session: `PoP <base64>`.
/// Wiped from memory when dropped.
pub fn authorization(code: &str, exporter: &Exporter) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "{SCHEME} {}",
        STANDARD.encode(mac(code, exporter).finalize().into_bytes())
    ))
}

/// What a PoP check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The proof matches this session and code.
    Valid,
    /// No `Authorization: PoP` header.
    Missing,
    /// A header that is not a valid proof for this session.
    Invalid,
}

/// Checks an `Authorization` header value against the code and this session's exporter, comparing
/// in constant time.
pub fn verify(header: Option<&str>, code: &str, exporter: &Exporter) -> Verdict {
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
    match mac(code, exporter).verify_slice(&proof) {
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
        assert_eq!(verify(Some(&header), "1234", &[7; 32]), Verdict::Valid);
        assert_eq!(verify(Some(&header), "1234", &[8; 32]), Verdict::Invalid);
        assert_eq!(verify(Some(&header), "9999", &[7; 32]), Verdict::Invalid);
        assert_eq!(verify(None, "1234", &[7; 32]), Verdict::Missing);
        assert_eq!(verify(Some("Bearer x"), "1234", &[7; 32]), Verdict::Missing);
        assert_eq!(verify(Some("PoP !!"), "1234", &[7; 32]), Verdict::Invalid);
    }

    #[test]
    fn the_proof_is_the_hmac_sha256_of_the_exporter_under_the_code() {
        // The key "Jefe" over 32 bytes of 0x00, computed independently with
        // `openssl dgst -sha256 -mac HMAC -macopt key:Jefe` over /dev/zero's first 32 bytes.
        let header = authorization("Jefe", &[0; 32]);
        assert_eq!(*header, "PoP 8afrHfctKClBZSermcvCgEqP+rL77h/W/uhDtfD6yU8=");
    }
}
