//! RFC 5280 rules that every client applies, whatever the platform.

use super::{Check, Finding};

pub(crate) fn check(cx: &Check<'_>, out: &mut Vec<Finding>) {
    let f = cx.facts;
    if cx.now > f.not_after {
        out.push(cx.finding(
            "x509.expired",
            format!("expired at {} (checked at {})", f.not_after, cx.now),
        ));
    }
    if cx.now < f.not_before {
        out.push(cx.finding(
            "x509.not_yet_valid",
            format!("valid only from {} (checked at {})", f.not_before, cx.now),
        ));
    }
    for oid in &f.unknown_critical {
        out.push(cx.finding(
            "x509.unknown_critical_extension",
            format!("critical extension {oid} is not one a TLS client knows: clients must refuse the certificate"),
        ));
    }
}
