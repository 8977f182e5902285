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
use trust::diagnosis::codes;
use trust::lint::{self, Finding, Severity};
use trust::Diagnosis;

use crate::report::ProfileResult;
use crate::{ClientProfile, Platform, RuleBook, Version};

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
    /// What the platform shows when this happens, as a field report quotes it (Apple's `errSSL…`
    /// name and number, Android's exception). Set in verdicts, where the platform is known.
    pub shown: Option<String>,
}

/// The prediction for one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The platform predicted for.
    pub platform: Platform,
    /// The profile whose handshake decided it.
    pub profile: &'static str,
    /// True when the platform would connect and accept the certificate.
    pub passed: bool,
    /// Why not (empty when it passes).
    pub reasons: Vec<Reason>,
    /// What the verdict could not see for itself (empty when every part was measured).
    pub notes: Vec<String>,
}

/// Explains why `failed` did not complete, looking at the other profiles' results.
pub(crate) fn cause(failed: &ProfileResult, all: &[ProfileResult]) -> Option<Reason> {
    if failed.completed {
        return None;
    }
    let profile = ClientProfile::by_name(failed.profile).ok()?;
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
        shown: None,
    })
}

fn clienthello_too_large(
    failed: &ProfileResult,
    profile: &ClientProfile,
    all: &[ProfileResult],
) -> Option<Reason> {
    let refused = failed.clienthello?.record_bytes;
    let (accepted_by, accepted) = all
        .iter()
        .filter(|r| r.completed)
        .filter_map(|r| Some((r, r.clienthello?.record_bytes)))
        .filter(|(r, _)| {
            ClientProfile::by_name(r.profile)
                .map(|p| p.versions.iter().any(|v| profile.offers(*v)))
                .unwrap_or(false)
        })
        .filter(|(_, size)| *size < refused)
        // The largest ClientHello that still got through, the first of equals (ios18 before android).
        .min_by_key(|(_, size)| std::cmp::Reverse(*size))?;
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
        fix: LARGE_HELLO_FIX.to_owned(),
        shown: None,
    })
}

fn version_not_spoken(profile: &ClientProfile, all: &[ProfileResult]) -> Option<Reason> {
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
        shown: None,
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
        fix: format!("reissue the certificate; the rule: {}", rule.summary),
        shown: Some(refusal_shown(platform, f.rule)),
    })
}

/// What a platform shows when its trust evaluation refuses a certificate by `rule`.
///
/// Where a rule has a `trust` diagnosis (an expired certificate, a weak key, a missing serverAuth,
/// a name not in the SAN), the names come from `trust::diagnosis::CATALOGUE`, the one mapping in
/// code. Which code Apple's TLS layer reports for which rule is unverified (docs/alerts.md,
/// "Certificates the phone refuses"): the numbers are Apple's (`SecBase.h`), the pairing with the
/// rule is not, and the text says so. Otherwise the codes seen in the field for a trust-evaluation
/// failure are listed. Android's TrustManager throws a CertificateException during the handshake.
fn refusal_shown(platform: Platform, rule: &str) -> String {
    let code = match rule {
        "x509.expired" => Some(codes::EXPIRED),
        "x509.not_yet_valid" => Some(codes::NOT_YET_VALID),
        "x509.unknown_critical_extension" => Some(codes::UNSUPPORTED_CRITICAL_EXTENSION),
        "apple.rsa_key_size" | "android.rsa_key_size" => Some(codes::WEAK_KEY),
        "apple.sha2_signature" | "android.weak_signature" => Some(codes::WEAK_SIGNATURE),
        "apple.server_auth_eku" | "android.server_auth_eku" => Some(codes::INVALID_PURPOSE),
        "apple.san_dns_name" | "android.san_required" => Some(codes::WRONG_NAME),
        _ => None,
    };
    let known = code.and_then(Diagnosis::lookup);
    match platform.rule_book() {
        RuleBook::Apple => match known.and_then(|d| d.apple) {
            Some(a) => format!(
                "Apple: {} ({}) (which code iOS shows for this rule: unverified; in URLSession \
                 NSURLErrorServerCertificateUntrusted (-1202))",
                a.name, a.number
            ),
            None => APPLE_TRUST_FAILURE.to_owned(),
        },
        RuleBook::Android => match known.and_then(|d| d.android) {
            Some(a) => format!("Android: {a}"),
            None => "Android: javax.net.ssl.SSLHandshakeException: \
                     java.security.cert.CertificateException"
                .to_owned(),
        },
    }
}

/// What Apple shows for a trust-evaluation failure without a more precise code: the codes seen in
/// the field (docs/alerts.md); which one a given failure produces is unverified.
const APPLE_TRUST_FAILURE: &str = "Apple: a trust-evaluation failure, errSSLXCertChainInvalid \
     (-9807), errSSLNoRootCert (-9813) or errSSLBadCert (-9808) (which one: unverified), in \
     URLSession NSURLErrorServerCertificateUntrusted (-1202)";

/// A failure that says more about the probe than about the accessory: its own pinned verifier
/// refused the certificate (`cert.*`), typically a key too weak to verify a handshake signature
/// with (RSA-1024: aws-lc-rs refuses it, Android still accepts it). Whether a phone accepts that
/// certificate is then the certificate rules' question alone.
fn refused_by_probe(r: &ProfileResult) -> bool {
    !r.completed
        && r.error
            .as_ref()
            .is_some_and(|e| e.code.starts_with("cert."))
}

/// What `platform` shows for a failed handshake, from the diagnosis of its error.
fn handshake_shown(platform: Platform, result: &ProfileResult) -> Option<String> {
    let error = result.error.as_ref()?;
    match platform.rule_book() {
        RuleBook::Apple => error.apple.as_ref().map(|a| format!("Apple: {a}")),
        RuleBook::Android => error.android.as_ref().map(|a| format!("Android: {a}")),
    }
}

/// What to change when a large ClientHello is refused. mbedTLS's own guidance
/// (`mbedtls_config.h`, MBEDTLS_SSL_IN_CONTENT_LEN) is to keep the 16 KB incoming buffer on a
/// server, which has no standard way to tell clients of a smaller one, and save memory on the
/// outgoing buffer instead; ESP-IDF's Kconfig defaults to 16,384 in and 4,096 out.
const LARGE_HELLO_FIX: &str = "let the TLS stack read the whole ClientHello record: a real iOS 26 \
     hello with its X25519MLKEM768 share is about 1.5 KB, Android 15/16 up to 2.2 KB, and a TLS \
     record may be 16 KB. With mbedTLS keep MBEDTLS_SSL_IN_CONTENT_LEN at its default 16384 (as \
     mbedTLS recommends for servers and ESP-IDF defaults to; shrink MBEDTLS_SSL_OUT_CONTENT_LEN \
     to save memory), or enlarge the vendor SDK's receive buffer. The accessory need not support \
     X25519MLKEM768 (it may choose X25519 or ask for another share with a HelloRetryRequest), but \
     it must read the whole ClientHello.";

/// The reason a platform fails when its faithful ClientHello was refused.
fn faithful_refused(result: &ProfileResult) -> Option<Reason> {
    let h = result.faithful.as_ref()?;
    if h.accepted() {
        return None;
    }
    let split_only = h.whole.accepted();
    let what = format!(
        "the accessory refused the real {}-byte ClientHello of {} ({}): {}",
        h.bytes,
        result.profile,
        h.source,
        h.summary()
    );
    let fix = if split_only {
        "read the ClientHello record until it is complete, over as many TCP reads as it takes: \
         a phone's hello larger than the Wi-Fi MSS (1,460 bytes) arrives in several segments, and \
         one recv() sees only the first"
    } else {
        LARGE_HELLO_FIX
    };
    Some(Reason {
        code: if split_only {
            "tls.split_clienthello_refused".to_owned()
        } else {
            "tls.faithful_clienthello_refused".to_owned()
        },
        what,
        fix: fix.to_owned(),
        shown: None,
    })
}

/// A verdict for every platform whose profile was run.
pub(crate) fn decide(results: &[ProfileResult], findings: &[Finding]) -> Vec<Verdict> {
    Platform::ALL
        .iter()
        .filter_map(|&platform| {
            let result = results.iter().find(|r| r.platform == Some(platform))?;
            let mut notes = Vec::new();
            let mut reasons: Vec<Reason> = Vec::new();
            if refused_by_probe(result) {
                let summary = result
                    .error
                    .as_ref()
                    .map(|e| e.summary.as_str())
                    .unwrap_or("");
                notes.push(format!(
                    "the probe could not complete the {} handshake itself ({summary}); this \
                     verdict rests on {}'s certificate rules alone",
                    result.profile,
                    platform.label()
                ));
            } else if let Some(cause) = &result.cause {
                reasons.push(Reason {
                    shown: handshake_shown(platform, result),
                    ..cause.clone()
                });
            }
            // The real platform's hello, as Wi-Fi delivers it: refused whole or split, the
            // platform fails even when rustls's smaller hello got through.
            // When rustls's hello was refused too, its cause already says why; the real hello's
            // answer is then a note, not a second reason.
            if let Some(reason) = faithful_refused(result) {
                let split_only = result.faithful.as_ref().is_some_and(|h| h.whole.accepted());
                if result.completed || split_only || refused_by_probe(result) {
                    reasons.push(reason);
                } else {
                    notes.push(reason.what);
                }
            }
            if let Some(h) = &result.faithful {
                if h.whole == crate::Answer::HelloRetryRequest {
                    notes.push(format!(
                        "the accessory answered the real {}-byte hello with a HelloRetryRequest: \
                         it supports none of the groups {} sent a key share for, so every \
                         connection costs a round trip more",
                        h.bytes,
                        platform.label()
                    ));
                }
            }
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
                notes,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{AppleError, PlatformError};
    use crate::{Alert, ClientHelloSize};

    fn result(profile: &'static str, bytes: usize, completed: bool) -> ProfileResult {
        let p = ClientProfile::by_name(profile).unwrap();
        ProfileResult {
            profile,
            emulates: p.emulates,
            platform: p.platform,
            clienthello: Some(ClientHelloSize {
                record_bytes: bytes,
                handshake_bytes: bytes - 5,
            }),
            clienthello_bytes: Vec::new(),
            completed,
            version: completed.then_some(Version::Tls13),
            group: None,
            suite: None,
            alert_received: None,
            alert_sent: None,
            error: None,
            cause: None,
            faithful: None,
        }
    }

    fn bad_certificate(mut r: ProfileResult) -> ProfileResult {
        r.alert_received = Some(Alert::from_number(42));
        r.error = Some(PlatformError {
            code: "tls.peer_alert.bad_certificate".into(),
            summary: "the accessory sent the alert bad_certificate".into(),
            fix: "look at the accessory's log".into(),
            apple: Some(AppleError {
                name: "errSSLPeerBadCert".into(),
                number: -9825,
            }),
            android: Some("SSLV3_ALERT_BAD_CERTIFICATE".into()),
        });
        r
    }

    fn finding(rule: &'static str, severity: Severity) -> Finding {
        let r = lint::rule_by_id(rule);
        Finding {
            rule: r.id,
            severity,
            platform: r.platform,
            certificate: 0,
            subject: "CN=SIM-0001".into(),
            field: r.field,
            message: "broken".into(),
            source: r.source,
        }
    }

    #[test]
    fn a_large_clienthello_refused_while_a_smaller_one_passed_is_blamed_on_its_size() {
        let all = [
            bad_certificate(result("ios26", 1444, false)),
            result("ios18", 222, true),
            result("android", 222, true),
            result("tls13-only", 206, true),
        ];
        let why = cause(&all[0], &all).unwrap();
        assert_eq!(why.code, "tls.clienthello_too_large");
        assert!(
            why.what.contains("1444-byte ClientHello of ios26"),
            "{}",
            why.what
        );
        assert!(why.what.contains("222-byte one of ios18"), "{}", why.what);
        assert!(why.what.contains("bad_certificate (42)"), "{}", why.what);
    }

    #[test]
    fn when_no_smaller_clienthello_passed_the_alert_itself_is_the_cause() {
        let all = [
            bad_certificate(result("ios26", 1444, false)),
            bad_certificate(result("ios18", 222, false)),
        ];
        let why = cause(&all[0], &all).unwrap();
        assert_eq!(why.code, "tls.peer_alert.bad_certificate");
    }

    #[test]
    fn a_profile_whose_versions_the_accessory_does_not_speak_is_explained_as_such() {
        let mut tls12 = result("tls12-only", 128, true);
        tls12.version = Some(Version::Tls12);
        let mut ios18 = result("ios18", 222, true);
        ios18.version = Some(Version::Tls12);
        let all = [ios18, tls12, result("tls13-only", 206, false)];
        let why = cause(&all[2], &all).unwrap();
        assert_eq!(why.code, "tls.no_common_version");
        assert!(why.what.contains("does not speak TLS 1.3"), "{}", why.what);
    }

    #[test]
    fn apple_rules_fail_ios_only_x509_rules_fail_everyone_and_warnings_fail_no_one() {
        let all: Vec<_> = ["ios26", "ios18", "android"]
            .iter()
            .map(|p| result(p, 222, true))
            .collect();
        let apple = decide(&all, &[finding("apple.validity_825", Severity::Error)]);
        let failed: Vec<_> = apple
            .iter()
            .filter(|v| !v.passed)
            .map(|v| v.platform)
            .collect();
        assert_eq!(failed, [Platform::Ios26, Platform::Ios18]);
        assert!(apple[0].reasons[0]
            .shown
            .as_deref()
            .unwrap()
            .contains("-9807"));

        let expired = decide(&all, &[finding("x509.expired", Severity::Error)]);
        assert!(expired.iter().all(|v| !v.passed));

        let warning = decide(&all, &[finding("apple.validity_825", Severity::Warning)]);
        assert!(warning.iter().all(|v| v.passed));
    }

    #[test]
    fn a_certificate_the_probe_itself_cannot_verify_is_judged_by_the_rules_alone() {
        let mut android = result("android", 222, false);
        android.error = Some(PlatformError {
            code: "cert.weak_key".into(),
            summary: "an RSA key of 1024 bits".into(),
            fix: String::new(),
            apple: None,
            android: None,
        });
        let all = [android];
        let only_a_warning = decide(&all, &[finding("android.rsa_key_size", Severity::Warning)]);
        assert!(only_a_warning[0].passed, "{:?}", only_a_warning[0]);
        assert!(only_a_warning[0].notes[0].contains("could not complete"));
        let refused = decide(&all, &[finding("android.rsa_key_size", Severity::Error)]);
        assert!(!refused[0].passed);
    }

    #[test]
    fn a_failed_handshake_verdict_shows_what_each_platform_calls_it() {
        let mut failed = bad_certificate(result("ios26", 1444, false));
        let all = [failed.clone(), result("ios18", 222, true)];
        failed.cause = cause(&failed, &all);
        let verdicts = decide(&[failed, all[1].clone()], &[]);
        let ios26 = &verdicts[0];
        assert!(!ios26.passed);
        assert_eq!(
            ios26.reasons[0].shown.as_deref(),
            Some("Apple: errSSLPeerBadCert (-9825)")
        );
        assert!(verdicts[1].passed);
    }
}
