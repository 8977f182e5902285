//! Android's rules (Android 7+ with Conscrypt/BoringSSL).
//!
//! Chain strength: Conscrypt's `ChainStrengthAnalyzer` refuses RSA moduli under 1024 bits and the
//! MD2/MD4/MD5 and SHA-1 signature algorithms in the chain. EKU: Conscrypt's
//! `ExtendedKeyUsagePKIXCertPathChecker` accepts a server leaf with no EKU, or one that allows
//! serverAuth, anyExtendedKeyUsage or Server Gated Crypto. Names: the platform hostname verifier
//! matches only subjectAltName entries (no CN fallback) from Android 9 on.
//! An Android app trusts an admin's root only if its `network_security_config.xml` says so
//! (apps *targeting* API level 24 / Android 7 or later ignore user-installed CAs by default;
//! `NetworkSecurityConfig.createBaseConfig`, docs/alerts.md): see `trust export --format android-nsc`.

use super::facts::{Hash, Key};
use super::{Check, Finding, Severity};

pub(crate) fn check(cx: &Check<'_>, out: &mut Vec<Finding>) {
    let f = cx.facts;
    if let Key::Rsa { bits } = f.key {
        if bits < 1024 {
            out.push(cx.finding(
                "android.rsa_key_size",
                format!("RSA key of {bits} bits; Conscrypt refuses moduli under 1024 bits"),
            ));
        } else if bits < 2048 {
            let mut finding = cx.finding(
                "android.rsa_key_size",
                format!("RSA key of {bits} bits: Android accepts it (its floor is 1024), iOS and the Web PKI refuse it (2048)"),
            );
            finding.severity = Severity::Warning;
            out.push(finding);
        }
    }
    if matches!(f.hash, Hash::Sha1 | Hash::Md) {
        let mut finding = cx.finding(
            "android.weak_signature",
            format!(
                "signed with {} ({}), which Conscrypt refuses",
                f.signature_name, f.signature_oid
            ),
        );
        if cx.root() {
            finding.severity = Severity::Warning;
            finding.message = format!(
                "self-signed root signed with {}: its own signature is not what secures the chain, but some Android versions check every certificate of the built chain",
                f.signature_name
            );
        }
        out.push(finding);
    }
    if !cx.server() {
        return;
    }
    let names = f.server_name_count();
    if names == 0 {
        out.push(cx.finding(
            "android.san_required",
            "no DNS name or IP address in a subjectAltName: hostname verification fails on Android 9 and later"
                .to_owned(),
        ));
    }
    if let Some(eku) = &f.eku {
        if !(eku.server_auth || eku.any || eku.sgc) {
            out.push(cx.finding(
                "android.server_auth_eku",
                format!(
                    "extendedKeyUsage allows only {}; Conscrypt refuses it for a server",
                    super::apple::eku_text(eku)
                ),
            ));
        }
    }
}
