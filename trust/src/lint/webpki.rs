//! The Web PKI's rules: the CA/Browser Forum Baseline Requirements, which browsers and rustls-webpki
//! users expect of a publicly trusted server certificate. An accessory's private PKI need not follow
//! them all, but a certificate that does is accepted everywhere, which is the point of this profile.

use super::facts::{Hash, Key};
use super::{Check, Finding, Severity};

const DAY: i64 = 86_400;

pub(crate) fn check(cx: &Check<'_>, out: &mut Vec<Finding>) {
    let f = cx.facts;
    match &f.key {
        Key::Rsa { bits } if *bits < 2048 || bits % 8 != 0 => out.push(cx.finding(
            "webpki.rsa_key_size",
            format!("RSA key of {bits} bits; the Baseline Requirements ask for at least 2048, a multiple of 8"),
        )),
        Key::Ec { curve: None, oid } | Key::Ec { curve: Some("secp256k1"), oid } => {
            out.push(cx.finding(
                "webpki.ec_curve",
                format!("ECDSA key on curve {oid}; only P-256, P-384 and P-521 are allowed"),
            ))
        }
        _ => {}
    }
    if matches!(f.hash, Hash::Sha1 | Hash::Md) {
        let mut finding = cx.finding(
            "webpki.sha1_signature",
            format!("signed with {} ({})", f.signature_name, f.signature_oid),
        );
        if cx.root() {
            finding.severity = Severity::Note;
            finding
                .message
                .push_str("; a self-signed root's own signature is not checked");
        }
        out.push(finding);
    }
    if !cx.server() {
        return;
    }
    if f.validity_seconds_inclusive() > 398 * DAY {
        out.push(cx.finding(
            "webpki.validity_398",
            format!(
                "valid for {}; at most 398 days are allowed",
                f.validity_days_text()
            ),
        ));
    }
    let names = f.server_name_count();
    if names == 0 {
        out.push(cx.finding(
            "webpki.san_required",
            "no subjectAltName with a DNS name or IP address".to_owned(),
        ));
    }
    match &f.eku {
        None => out.push(cx.finding(
            "webpki.server_auth_eku",
            "no extendedKeyUsage extension".to_owned(),
        )),
        Some(eku) if !eku.server_auth || eku.any => out.push(cx.finding(
            "webpki.server_auth_eku",
            format!(
                "extendedKeyUsage has {}{}",
                if eku.server_auth { "serverAuth, " } else { "" },
                super::apple::eku_text(eku)
            ),
        )),
        Some(_) => {}
    }
    if f.is_ca() {
        out.push(cx.finding(
            "webpki.ca_as_end_entity",
            "basicConstraints says CA:TRUE on the server certificate; only acceptable when this very certificate is the pinned anchor".to_owned(),
        ));
    }
    if let Some(san) = &f.san {
        for cn in &f.common_names {
            let in_san = san.dns.iter().any(|d| d.eq_ignore_ascii_case(cn)) || san.ip.contains(cn);
            if !in_san {
                out.push(cx.finding(
                    "webpki.cn_in_san",
                    format!("CN {cn:?} is not one of the subjectAltName entries"),
                ));
            }
        }
    }
}
