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

/// The shortest code accepted on a label.
pub const CODE_MIN_LEN: usize = 6;
/// The longest code accepted on a label.
pub const CODE_MAX_LEN: usize = 64;
/// How many characters [`generate_code`] makes.
pub const GENERATED_LEN: usize = 16;
/// The characters [`generate_code`] uses: Crockford's base32 (no I, L, O, U: nothing to misread
/// from a printed label), 5 bits each, so a generated code carries 80 bits.
pub const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Whether `code` can be a label's PoP code: [`CODE_MIN_LEN`] to [`CODE_MAX_LEN`] characters, no
/// control characters, no whitespace at either end (files and labels lose it).
pub fn validate_code(code: &str) -> Result<(), &'static str> {
    let len = code.chars().count();
    if !(CODE_MIN_LEN..=CODE_MAX_LEN).contains(&len) {
        return Err("a proof-of-possession code has 6 to 64 characters");
    }
    if code.chars().any(char::is_control) {
        return Err("a proof-of-possession code has no control characters");
    }
    if code.trim() != code {
        return Err("a proof-of-possession code does not begin or end with whitespace");
    }
    Ok(())
}

/// A fresh code for a unit's label: [`GENERATED_LEN`] characters of [`CODE_ALPHABET`] (80 bits:
/// a proof the client sent is derived from it, so it must not be guessable offline). The caller
/// hands in its random source (no I/O here).
pub fn generate_code(rng: &mut impl rand_core::CryptoRngCore) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; GENERATED_LEN]);
    rng.fill_bytes(&mut bytes[..]);
    // 256 is a multiple of 32: `% 32` keeps the characters uniform.
    Zeroizing::new(
        bytes
            .iter()
            .map(|b| CODE_ALPHABET[usize::from(b % 32)] as char)
            .collect(),
    )
}

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
    fn generated_codes_are_valid_distinct_and_from_the_alphabet() {
        let mut rng = rand_core::OsRng;
        let (a, b) = (generate_code(&mut rng), generate_code(&mut rng));
        assert_eq!(a.len(), GENERATED_LEN);
        assert_ne!(*a, *b);
        assert!(a.bytes().all(|c| CODE_ALPHABET.contains(&c)), "{}", *a);
        assert_eq!(validate_code(&a), Ok(()));
        assert!(validate_code("12345").is_err());
        assert!(validate_code(" 123456").is_err());
        assert!(validate_code("123\n456").is_err());
        assert!(validate_code(&"x".repeat(65)).is_err());
    }

    #[test]
    fn the_proof_is_the_hmac_sha256_of_the_exporter_under_the_code() {
        // The key "Jefe" over 32 bytes of 0x00, computed independently with
        // `openssl dgst -sha256 -mac HMAC -macopt key:Jefe` over /dev/zero's first 32 bytes.
        let header = authorization("Jefe", &[0; 32]);
        assert_eq!(*header, "PoP 8afrHfctKClBZSermcvCgEqP+rL77h/W/uhDtfD6yU8=");
    }
}
