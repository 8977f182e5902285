//! PEM text and SPKI pins for what this crate writes.
//!
//! rustls-pki-types reads PEM (`PemObject`) but does not write it, and the `trust` crate (which owns
//! `Pin`) must not be a dependency of this one, so the few lines needed to write both live here.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::Error;

/// PEM-encodes one DER object under `label` (64-character lines, as openssl writes them).
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 64);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// PEM-encodes certificates, one after another.
pub(crate) fn certificates<'a>(
    certs: impl IntoIterator<Item = &'a rustls_pki_types::CertificateDer<'static>>,
) -> String {
    certs
        .into_iter()
        .map(|c| encode("CERTIFICATE", c.as_ref()))
        .collect()
}

/// The DER SubjectPublicKeyInfo of a certificate.
pub(crate) fn spki_of(cert_der: &[u8]) -> Result<Vec<u8>, Error> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der)
        .map_err(|e| Error::generate("the SPKI pin", format!("certificate does not parse: {e}")))?;
    Ok(cert.tbs_certificate.subject_pki.raw.to_vec())
}

/// The pin of a DER SubjectPublicKeyInfo, `sha256/BASE64` (the spelling `trust::Pin` displays).
pub fn spki_pin(spki_der: &[u8]) -> String {
    format!(
        "sha256/{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki_der))
    )
}

/// The pin of a certificate's key, `sha256/BASE64`.
pub fn certificate_pin(cert_der: &[u8]) -> Result<String, Error> {
    Ok(spki_pin(&spki_of(cert_der)?))
}

/// SHA-256 of a certificate's DER, lowercase hex (what `trust` calls the fingerprint).
pub fn fingerprint(cert_der: &[u8]) -> String {
    hex::encode(Sha256::digest(cert_der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_lines_are_64_characters_with_labels() {
        let text = encode("CERTIFICATE", &[0u8; 100]);
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(*lines.last().unwrap(), "-----END CERTIFICATE-----");
    }

    #[test]
    fn pin_is_sha256_of_the_spki_in_base64() {
        // echo -n "" | sha256sum -> e3b0c442...; base64 of those bytes:
        assert_eq!(
            spki_pin(b""),
            "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
