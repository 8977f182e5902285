//! From what the handshakes and the certificate rules showed to a verdict per platform, in plain words.
//!
//! A profile's failure is explained by comparing it with the others, because one failure alone
//! rarely says why. The two comparisons that matter in the field:
//!
//! - **ClientHello size.** A profile was refused before the accessory agreed on anything (an alert
//!   instead of a ServerHello, a reset, a close), while a profile with a smaller ClientHello and an
//!   overlapping set of versions completed. The difference between them is the size, and for iOS 26
//!   the size is the post-quantum key share: the accessory's TLS stack cannot read the whole
//!   ClientHello. This is the iOS 26 `errSSLPeerBadCert` field report.
//! - **Protocol version.** The diagnostic `tls12-only` / `tls13-only` profiles fail while the phones
//!   pass: the accessory speaks one version. Phones offer both, so this explains, it does not fail.
//!
//! Anything else is explained by the diagnosis of the error itself (the alert the accessory sent and
//! what Apple and Android call it). Then the certificate rules: a finding at error severity in a
//! platform's rule book (or the X.509 rules every client applies) fails that platform even when
//! every handshake completed, because the probe pins the key and the phone does not.

use serde::Serialize;
use trust::lint::{self, Finding, Severity};

use crate::report::ProfileResult;
use crate::{Platform, Profile, RuleBook, Version};

/// One reason a platform fails, with its fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable code: `tls.clienthello_too_large`, a `trust` diagnosis code
    /// (`tls.peer_alert.bad_certificate`), or `lint.<rule>` (`lint.apple.validity_825`).
    pub code: String,
    /// What happened, in plain words, with the numbers.
    pub what: String,
    /// What the firmware team should change.
    pub fix: String,
}

/// The prediction for one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub platform: Platform,
    /// The profile whose handshake decided it.
    pub profile: &'static str,
    /// True when the platform would connect and accept the certificate.
    pub passed: bool,
    /// Why not (empty when it passes).
    pub reasons: Vec<Reason>,
}

/// Explains why `failed` did not complete, looking at the other profiles' results.
pub(crate) fn cause(failed: &ProfileResult, all: &[ProfileResult]) -> Option<Reason> {
    if failed.completed {
        return None;
    }
    let profile = Profile::by_name(failed.profile).ok()?;
    let refused_early = failed.version.is_none();
    if refused_early {
        if let Some(reason) = clienthello_too_large(failed, profile, all) {
            return Some(reason);
        }
        if let Some(reason) = version_not_spoken(profile, all) {
            return Some(reason);
        }
    }
    let error = failed.error.as_ref()?;
    Some(Reason {
        code: error.code.clone(),
        what: error.summary.clone(),
        fix: error.fix.clone(),
    })
}

fn clienthello_too_large(
    failed: &ProfileResult,
    profile: &Profile,
    all: &[ProfileResult],
) -> Option<Reason> {
    let refused = failed.clienthello?.record_bytes;
    let (accepted_by, accepted) = all
        .iter()
        .filter(|r| r.completed)
        .filter_map(|r| Some((r, r.clienthello?.record_bytes)))
        .filter(|(r, _)| {
            Profile::by_name(r.profile)
                .map(|p| p.versions.iter().any(|v| profile.offers(*v)))
                .unwrap_or(false)
        })
        .filter(|(_, size)| *size < refused)
        .max_by_key(|(_, size)| *size)?;
    let how = match (&failed.alert_received, &failed.error) {
        (Some(alert), _) => format!("answered it with the alert {alert}"),
        (None, Some(e)) => e.summary.to_lowercase(),
        (None, None) => "did not answer it".to_owned(),
    };
    let share = if profile.sends_post_quantum_share() {
        " The difference is the post-quantum X25519MLKEM768 key share (1,216 bytes) that this \
         profile sends by default, as iOS 26 does."
    } else {
        ""
    };
    Some(Reason {
        code: "tls.clienthello_too_large".to_owned(),
        what: format!(
            "the accessory refused the {refused}-byte ClientHello of {} ({how}) but completed the \
             {accepted}-byte one of {}: its TLS stack cannot read a ClientHello this large.{share}",
            failed.profile, accepted_by.profile
        ),
        fix: "let the TLS stack read a ClientHello of at least 2 KB (the whole first record, \
              possibly spread over several TCP segments): e.g. mbedTLS MBEDTLS_SSL_IN_CONTENT_LEN \
              >= 4096, or a larger receive buffer in the vendor SDK. The accessory need not support \
              X25519MLKEM768 (it may choose X25519 or ask for another share), but it must read the \
              whole ClientHello."
            .to_owned(),
    })
}

fn version_not_spoken(profile: &Profile, all: &[ProfileResult]) -> Option<Reason> {
    let spoken: Vec<Version> = all
        .iter()
        .filter(|r| r.completed)
        .filter_map(|r| r.version)
        .collect();
    if spoken.is_empty() || profile.versions.iter().any(|v| spoken.contains(v)) {
        return None;
    }
    let offered = profile
        .versions
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(" and ");
    let speaks = if spoken.contains(&Version::Tls13) {
        "TLS 1.3"
    } else {
        "TLS 1.2"
    };
    Some(Reason {
        code: "tls.no_common_version".to_owned(),
        what: format!(
            "the accessory does not speak {offered} (it completed other handshakes with {speaks})"
        ),
        fix: format!(
            "phones offer both TLS 1.2 and TLS 1.3, so this alone fails none of them; to be ready \
             for clients that drop TLS 1.2, enable TLS 1.3 in the accessory's stack (it now speaks \
             only {speaks})"
        ),
    })
}

/// The reasons a certificate finding fails `platform`, if any.
fn finding_reason(f: &Finding, platform: Platform) -> Option<Reason> {
    if f.severity != Severity::Error {
        return None;
    }
    let applies = match f.platform {
        lint::Platform::X509 => true,
        lint::Platform::Apple => platform.rule_book() == RuleBook::Apple,
        lint::Platform::Android => platform.rule_book() == RuleBook::Android,
        _ => false,
    };
    if !applies {
        return None;
    }
    let rule = lint::rule_by_id(f.rule);
    Some(Reason {
        code: format!("lint.{}", f.rule),
        what: format!(
            "{} refuses the certificate #{} ({}): {} ({})",
            platform.label(),
            f.certificate,
            f.subject,
            f.message,
            f.source.name
        ),
        fix: format!("reissue the certificate so that {}", rule.summary),
    })
}

/// A verdict for every platform whose profile was run.
pub(crate) fn decide(results: &[ProfileResult], findings: &[Finding]) -> Vec<Verdict> {
    Platform::ALL
        .iter()
        .filter_map(|&platform| {
            let result = results.iter().find(|r| r.platform == Some(platform))?;
            let mut reasons: Vec<Reason> = result.cause.iter().cloned().collect();
            // Certificate rules matter only once a phone gets as far as the certificate; a chain
            // the probe never saw has no findings.
            let mut seen = Vec::new();
            for f in findings {
                if let Some(r) = finding_reason(f, platform) {
                    if !seen.contains(&r.code) {
                        seen.push(r.code.clone());
                        reasons.push(r);
                    }
                }
            }
            Some(Verdict {
                platform,
                profile: result.profile,
                passed: reasons.is_empty(),
                reasons,
            })
        })
        .collect()
}
