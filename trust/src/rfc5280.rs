//! End-entity rules of RFC 5280 that webpki leaves to others, enforced when a chain is validated.
//!
//! webpki validates paths and names; it deliberately does not police every MUST of RFC 5280 on
//! the leaf. x509-limbo's suite found the ones below accepted by webpki alone. They are cheap to
//! check on the one certificate an accessory presents, and a certificate that breaks them is one a
//! phone may refuse too, so anchors mode refuses them (pin and first-use modes do not check the
//! certificate's form, only its key and name). What is still accepted, and why, is in
//! `docs/limbo.md`.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};

use crate::diagnosis::codes;
use crate::error::Refusal;

/// Checks the leaf against the rules this module documents.
pub(crate) fn check_leaf(cert: &X509Certificate<'_>) -> Result<(), Refusal> {
    let bad = |what: &str| Err(Refusal::new(codes::BAD_ENCODING, what.to_owned()));

    // §4.1.2.2: positive, at most 20 octets.
    let serial = cert.raw_serial();
    let significant = serial.strip_prefix(&[0u8]).unwrap_or(serial);
    if serial.is_empty() || serial[0] & 0x80 != 0 {
        return bad("the serial number is negative (RFC 5280 §4.1.2.2)");
    }
    if serial.iter().all(|b| *b == 0) {
        return bad("the serial number is zero (RFC 5280 §4.1.2.2)");
    }
    if significant.len() > 20 {
        return bad("the serial number is longer than 20 octets (RFC 5280 §4.1.2.2)");
    }

    let subject_empty = cert.subject().iter().next().is_none();
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            // §4.2.1.1 and §4.2.1.2: conforming CAs mark these non-critical.
            ParsedExtension::AuthorityKeyIdentifier(_) if ext.critical => {
                return bad("the authorityKeyIdentifier is marked critical (RFC 5280 §4.2.1.1)");
            }
            ParsedExtension::SubjectKeyIdentifier(_) if ext.critical => {
                return bad("the subjectKeyIdentifier is marked critical (RFC 5280 §4.2.1.2)");
            }
            // §4.2.1.6: with an empty subject the SAN must be critical.
            ParsedExtension::SubjectAlternativeName(san) => {
                if subject_empty && !ext.critical {
                    return bad(
                        "the subject is empty and the subjectAltName is not critical (RFC 5280 §4.2.1.6)",
                    );
                }
                if !subject_empty && ext.critical {
                    return bad(
                        "the subjectAltName is critical although the subject is not empty (RFC 5280 §4.2.1.6, CABF BR 7.1.2.7.12)",
                    );
                }
                for name in &san.general_names {
                    if let GeneralName::DNSName(d) = name {
                        if d.contains('_') {
                            return bad(
                                "a DNS name in the subjectAltName contains '_' (RFC 5280 §4.2.1.6 preferred name syntax)",
                            );
                        }
                    }
                }
            }
            // §4.2.1.9: keyCertSign only with cA TRUE.
            ParsedExtension::KeyUsage(ku) if ku.key_cert_sign() && !cert.is_ca() => {
                return Err(Refusal::new(
                    codes::INVALID_PURPOSE,
                    "the leaf may sign certificates (keyCertSign) but is not a CA (RFC 5280 §4.2.1.9)",
                ));
            }
            // An EKU on a TLS server's leaf must name serverAuth; anyExtendedKeyUsage alone is a
            // CA's shortcut, not a server's purpose (CABF BR 7.1.2.7.10).
            ParsedExtension::ExtendedKeyUsage(eku) if !eku.server_auth => {
                return Err(Refusal::new(
                    codes::INVALID_PURPOSE,
                    "the extendedKeyUsage does not name serverAuth",
                ));
            }
            _ => {}
        }
    }
    Ok(())
}
