//! Apple's rules for TLS server certificates (iOS 13 / macOS 10.15 and later).
//!
//! Source: Apple support article 103769 (formerly HT210176), "Requirements for trusted certificates in
//! iOS 13 and macOS 10.15". They apply to every TLS server certificate, including those issued by a
//! root an admin installed. The date-gated rules (EKU, 825 days) apply to certificates with a
//! NotBefore on or after 2019-07-01. The 398-day limit of article 102028 (HT211025) applies only to
//! roots preinstalled in the OS, so for an accessory's own root it is a note, never a failure.
//! Apple does not say whether "825 days" counts both ends; this lint compares notAfter - notBefore, so
//! `openssl req -days 825` passes and one second more fails.

use time::macros::datetime;

use super::facts::{Hash, Key};
use super::{Check, Finding, Severity};

const DAY: i64 = 86_400;

pub(crate) fn check(cx: &Check<'_>, out: &mut Vec<Finding>) {
    let f = cx.facts;
    if let Key::Rsa { bits } = f.key {
        if bits < 2048 {
            out.push(cx.finding(
                "apple.rsa_key_size",
                format!("RSA key of {bits} bits; Apple requires at least 2048"),
            ));
        }
    }
    if matches!(f.hash, Hash::Sha1 | Hash::Md) {
        let mut finding = cx.finding(
            "apple.sha2_signature",
            format!(
                "signed with {} ({}); Apple requires a SHA-2 hash",
                f.signature_name, f.signature_oid
            ),
        );
        if cx.root() {
            finding.severity = Severity::Note;
            finding
                .message
                .push_str("; this is a self-signed root, whose own signature clients do not check");
        }
        out.push(finding);
    }
    if !cx.server() {
        return;
    }
    let names = f.server_name_count();
    if names == 0 {
        let cn = if f.common_names.is_empty() {
            String::new()
        } else {
            format!(
                " (the CN {:?} is not used for the name)",
                f.common_names.join(", ")
            )
        };
        let what = if f.san.is_none() {
            "no subjectAltName extension"
        } else {
            "a subjectAltName with no DNS name or IP address"
        };
        out.push(cx.finding("apple.san_dns_name", format!("{what}{cn}")));
    }
    let gated = f.not_before >= datetime!(2019-07-01 0:00 UTC);
    if gated {
        match &f.eku {
            None => out.push(cx.finding(
                "apple.server_auth_eku",
                "no extendedKeyUsage extension; Apple requires id-kp-serverAuth (1.3.6.1.5.5.7.3.1)"
                    .to_owned(),
            )),
            Some(eku) if !eku.server_auth => out.push(cx.finding(
                "apple.server_auth_eku",
                format!(
                    "extendedKeyUsage lacks id-kp-serverAuth (it has {})",
                    eku_text(eku)
                ),
            )),
            Some(_) => {}
        }
        if f.span_seconds() > 825 * DAY {
            out.push(cx.finding(
                "apple.validity_825",
                format!(
                    "valid for {} ({} to {}); Apple allows at most 825 days",
                    f.validity_days_text(),
                    f.not_before.date(),
                    f.not_after.date()
                ),
            ));
        }
    }
    if f.not_before >= datetime!(2020-09-01 0:00 UTC) && f.span_seconds() > 398 * DAY {
        out.push(cx.finding(
            "apple.validity_398",
            format!(
                "valid for {}: over 398 days, which Apple refuses only for roots built into the OS, not for a root the admin installs",
                f.validity_days_text()
            ),
        ));
    }
}

pub(crate) fn eku_text(eku: &super::facts::Eku) -> String {
    let mut parts = Vec::new();
    if eku.client_auth {
        parts.push("clientAuth".to_owned());
    }
    if eku.any {
        parts.push("anyExtendedKeyUsage".to_owned());
    }
    parts.extend(eku.others.iter().cloned());
    if parts.is_empty() {
        "no usages".to_owned()
    } else {
        parts.join(", ")
    }
}
