//! End-entity rules of RFC 5280 that webpki leaves to others, enforced when a chain is validated.
//!
//! webpki validates paths and names; it deliberately does not police every MUST of RFC 5280 on
//! the leaf. x509-limbo's suite found the ones below accepted by webpki alone. They are cheap to
//! check on the one certificate an accessory presents, and a certificate that breaks them is one a
//! phone may refuse too, so anchors mode refuses them (pin and first-use modes do not check the
//! certificate's form, only its key and name). What is still accepted, and why, is in
//! `docs/limbo.md`.
//!
//! The trust anchor a validated path ends at is held to the rules of a CA (see [`check_anchor`]),
//! but only when it *issued* the chain: an accessory certificate trusted directly (byte-identical
//! to an anchor) is not checked as a CA.

use rustls_pki_types::UnixTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};

use crate::anchor::AnchorRole;
use crate::date::rfc3339;
use crate::diagnosis::codes;
use crate::error::Refusal;

/// What to do about an anchor that cannot issue: replace it in the store.
const REPLACE_ANCHOR: &str = "replace the anchor in the store (`accessory trust add` the manufacturer's current CA certificate, then `accessory trust remove` this one)";

/// Checks a trust anchor that issued a validated path (the first certificate of the chain is not
/// the anchor itself).
///
/// webpki, like RFC 5280 §6.1.1, takes an anchor as a name and a key. An administrator's anchor is
/// a certificate, though, and what it says about itself matters here:
/// - its dates: an expired root is a root the manufacturer stopped vouching for (RFC 5280 §4.1.2.5);
/// - its role ([`AnchorRole`]): an anchor that is an accessory's own certificate (not a CA, a host
///   name in its subjectAltName, no keyCertSign, a server's EKU) never issues, or trusting one
///   accessory directly would let that accessory's key issue certificates for every other one;
/// - an extendedKeyUsage, when present, that allows serverAuth (§4.2.1.12);
/// - a non-empty subject (§4.1.2.6), no critical extension no verifier knows (§4.2), key
///   identifiers marked non-critical (§4.2.1.1, §4.2.1.2), and a key the leaf would be allowed to
///   have (`key_strength`).
///
/// Form rules phones do not enforce on roots, and which real manufacturer roots break (a
/// non-critical basicConstraints from OpenSSL 1.0's default configuration, authorityKeyIdentifier
/// contents, a missing subjectKeyIdentifier), stay accepted; `docs/limbo.md` lists them.
pub(crate) fn check_anchor(
    anchor: &X509Certificate<'_>,
    now: UnixTime,
    key_strength: impl Fn(&X509Certificate<'_>) -> Result<(), Refusal>,
) -> Result<(), Refusal> {
    let subject = anchor.subject().to_string();
    let name = if subject.is_empty() {
        "with an empty subject".to_owned()
    } else {
        format!("\"{subject}\"")
    };
    let refuse = |code: &'static str, what: String| {
        Err(Refusal::new(
            code,
            format!("the trust anchor {name} {what}: {REPLACE_ANCHOR}"),
        ))
    };

    // One rule for what may issue (crate::anchor): an accessory's own certificate, even CA:TRUE,
    // authenticates that accessory only. It also covers CA:FALSE, a missing basicConstraints and
    // a keyUsage without keyCertSign (RFC 5280 §4.2.1.9, §4.2.1.3).
    let (role, why) = AnchorRole::of(anchor);
    if role == AnchorRole::Endpoint {
        return Err(Refusal::new(
            codes::ANCHOR_NOT_ISSUER,
            format!(
                "the trust anchor {name} {why}: it is one accessory's own certificate, which authenticates that accessory only and never issues, yet the chain presented ends at it (a certificate signed by that accessory's key); trust the manufacturer's CA, or this accessory's own certificate or key"
            ),
        ));
    }
    let now = now.as_secs() as i64;
    let validity = anchor.validity();
    let (from, until) = (
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    );
    if now > until {
        return refuse(
            codes::EXPIRED,
            format!(
                "that issued the accessory's chain expired at {} (checked at {}); the certificates the accessory presented are in date",
                rfc3339(until),
                rfc3339(now)
            ),
        );
    }
    if now < from {
        return Err(Refusal::new(
            codes::NOT_YET_VALID,
            format!(
                "the trust anchor {name} that issued the accessory's chain is valid only from {} (checked at {}): check this machine's clock, or {REPLACE_ANCHOR}",
                rfc3339(from),
                rfc3339(now)
            ),
        ));
    }

    // RFC 5280 §4.2.1.12 as CAs use it, and as webpki applies it to intermediates: an EKU on the
    // anchor limits what it may vouch for, and this is a TLS server. anyExtendedKeyUsage alone is
    // refused as webpki refuses it on an intermediate and OpenSSL's sslserver purpose on a root:
    // one rule at every level of the path.
    match anchor.extended_key_usage() {
        Ok(Some(eku)) if !eku.value.server_auth => {
            return refuse(
                codes::INVALID_PURPOSE,
                "has an extendedKeyUsage without serverAuth, so it may not vouch for a TLS server (RFC 5280 §4.2.1.12)".to_owned(),
            )
        }
        Ok(_) => {}
        Err(e) => {
            return refuse(
                codes::BAD_ENCODING,
                format!("has an unreadable extendedKeyUsage ({e})"),
            )
        }
    }
    if subject.is_empty() {
        return refuse(
            codes::BAD_ENCODING,
            "is a CA without a name (RFC 5280 §4.1.2.6)".to_owned(),
        );
    }
    for ext in anchor.extensions().iter().filter(|e| e.critical) {
        match ext.parsed_extension() {
            ParsedExtension::UnsupportedExtension { .. } => {
                return refuse(
                    codes::UNSUPPORTED_CRITICAL_EXTENSION,
                    format!(
                        "has a critical extension {} that no verifier understands (RFC 5280 §4.2)",
                        ext.oid
                    ),
                );
            }
            // As on the leaf (check_leaf): conforming CAs mark these non-critical.
            ParsedExtension::AuthorityKeyIdentifier(_) => {
                return refuse(
                    codes::BAD_ENCODING,
                    "has its authorityKeyIdentifier marked critical (RFC 5280 §4.2.1.1)".to_owned(),
                );
            }
            ParsedExtension::SubjectKeyIdentifier(_) => {
                return refuse(
                    codes::BAD_ENCODING,
                    "has its subjectKeyIdentifier marked critical (RFC 5280 §4.2.1.2)".to_owned(),
                );
            }
            _ => {}
        }
    }
    if let Err(weak) = key_strength(anchor) {
        return refuse(weak.code(), format!("has {}", weak.detail()));
    }
    Ok(())
}

/// Checks the anchor's own pathLenConstraint against the `intermediates` below it (RFC 5280
/// §4.2.1.9: the number of non-self-issued intermediates that may follow). webpki takes an anchor
/// as a name and a key (§6.1.1), so a root that says `pathlen:0` would otherwise still let an
/// intermediate issue; OpenSSL and phones read the root's constraint.
pub(crate) fn check_anchor_path_length(
    anchor: &X509Certificate<'_>,
    intermediates: usize,
) -> Result<(), Refusal> {
    let limit = match anchor.basic_constraints() {
        Ok(Some(bc)) => bc.value.path_len_constraint,
        Ok(None) => None,
        Err(e) => {
            return Err(Refusal::new(
                codes::BAD_ENCODING,
                format!(
                    "the trust anchor \"{}\" has an unreadable basicConstraints ({e})",
                    anchor.subject()
                ),
            ))
        }
    };
    match limit {
        Some(max) if intermediates > max as usize => Err(Refusal::new(
            codes::PATH_LEN_EXCEEDED,
            format!(
                "the trust anchor \"{}\" allows {max} intermediate(s) below it (pathLenConstraint), and the chain has {intermediates} (RFC 5280 §4.2.1.9, §6.1.4(m))",
                anchor.subject()
            ),
        )),
        _ => Ok(()),
    }
}

/// Checks an intermediate of a validated path: when it has a keyUsage, it must allow keyCertSign
/// (RFC 5280 §6.1.4(n)); webpki checks CA:TRUE, pathlen, EKU and names, not this.
pub(crate) fn check_intermediate(cert: &X509Certificate<'_>) -> Result<(), Refusal> {
    let name = cert.subject().to_string();
    match cert.key_usage() {
        Ok(Some(ku)) if !ku.value.key_cert_sign() => Err(Refusal::new(
            codes::INVALID_PURPOSE,
            format!(
                "the intermediate \"{name}\" is CA:TRUE but its keyUsage does not allow signing certificates (keyCertSign), yet it issued the next certificate of the chain (RFC 5280 §4.2.1.3, §6.1.4(n))"
            ),
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(Refusal::new(
            codes::BAD_ENCODING,
            format!("the intermediate \"{name}\" has an unreadable keyUsage ({e})"),
        )),
    }
}

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
            // §4.2.1.3: a keyUsage limits what the key is for. A TLS server's key signs the
            // handshake (digitalSignature), or, in TLS 1.2's older suites, decrypts or agrees the
            // premaster secret (keyEncipherment, keyAgreement). Any of the three is what OpenSSL's
            // sslserver purpose accepts; a key limited to, say, nonRepudiation is not a server's.
            ParsedExtension::KeyUsage(ku)
                if !(ku.digital_signature() || ku.key_encipherment() || ku.key_agreement()) =>
            {
                return Err(Refusal::new(
                    codes::INVALID_PURPOSE,
                    format!(
                        "the leaf's keyUsage ({ku}) allows neither digitalSignature, keyEncipherment nor keyAgreement, so its key may not be used by a TLS server (RFC 5280 §4.2.1.3)"
                    ),
                ));
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
