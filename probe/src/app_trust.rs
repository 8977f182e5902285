//! Would the phone trust the chain? What the app trusts (`--anchors`, `--pin`) and the name or
//! address it connects to (`--device-id`, `--dns`, `--ip`), judged against the captured chain.
//!
//! The probe's own handshakes are pinned to the key it captured, so on their own they say nothing
//! about trust: an untrusted root, a missing intermediate, a CA certificate served as a leaf or a
//! certificate naming another device all complete. Given what the app trusts, the captured chain
//! is verified offline by `trust` (the same check `accessory provision` runs: path to an anchor,
//! validity, serverAuth EKU, CA:FALSE leaf, the identity in the SAN), and a refusal fails every
//! platform, because the app would refuse it there. On top of that each platform's own rules
//! apply (the certificate lint, `trust::lint`), and the notes say what the platform adds that the
//! probe cannot know:
//!
//! - **Apple**, for a root installed with a configuration profile: trustd exempts chains whose
//!   *root* is user-anchored from the strict serverAuth EKU check, but not a leaf issued under it
//!   from the 825-day validity maximum (leaves issued on or after 1 July 2019); host names are
//!   matched against the SAN only, an IP address against iPAddress SANs only (`SecPolicyServer.c`,
//!   `SecPolicyLeafCallbacks.c`; docs/client-profiles.md, "Trust").
//! - **Android**: apps *targeting* API level 24 or later do not trust user-installed CAs unless
//!   their network security config says so (`NetworkSecurityConfig.createBaseConfig`; AOSP commit
//!   32d2a1024f75), and host names are matched against the SAN only (OkHttp 3.10.0).
//!
//! When nothing is given, every verdict says plainly that trust was not checked.

use rustls::pki_types::{CertificateDer, UnixTime};
use trust::{AccessoryVerifier, Anchors, Diagnosis, Identity, Pin, TrustPolicy};

use crate::{Platform, Reason, RuleBook, Verdict};

/// What the app on the phone trusts, and the identity it expects: the part of a verdict the probe
/// cannot see for itself. Empty (the default) means trust is not checked.
#[derive(Debug, Clone, Default)]
pub struct AppTrust {
    /// The roots the app trusts (a manufacturer root shipped with the app or installed with a
    /// profile).
    pub anchors: Option<Anchors>,
    /// Keys the app pins (`sha256/BASE64`); any one matches.
    pub pins: Vec<Pin>,
    /// What the certificate must name: the device id, DNS name or IP address the app uses.
    pub identity: Option<Identity>,
}

/// The note every verdict carries when nothing was given to check trust with.
pub const TRUST_NOT_CHECKED: &str = "trust not checked: no --anchors or --pin given, so this \
     verdict would pass an untrusted root, a missing intermediate, a CA certificate served as a \
     leaf or a certificate naming another device (the probe pins the key it captured); give \
     --anchors FILE or --pin, and --device-id, --dns or --ip with what the app connects to";

impl AppTrust {
    /// True when nothing was given: no anchors, no pin, no identity.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_none() && self.pins.is_empty() && self.identity.is_none()
    }

    fn policy(&self) -> Option<Result<TrustPolicy, trust::Error>> {
        if self.anchors.is_none() && self.pins.is_empty() {
            return None;
        }
        let mut b = TrustPolicy::builder().pins(self.pins.iter().cloned());
        if let Some(a) = &self.anchors {
            b = b.anchors(a.clone());
        }
        if let Some(id) = &self.identity {
            b = b.identity(id.clone());
        }
        Some(b.build())
    }

    /// Adds to each verdict whether its platform would trust `chain` (leaf first) at `now`, and
    /// what was not checked. `chain` is `None` when the probe never saw a certificate.
    pub(crate) fn judge(
        &self,
        chain: Option<&[CertificateDer<'static>]>,
        now: UnixTime,
        verdicts: &mut [Verdict],
    ) {
        let refusal = match (self.policy(), chain) {
            (None, _) => {
                for v in verdicts.iter_mut() {
                    v.notes.push(TRUST_NOT_CHECKED.to_owned());
                }
                return;
            }
            (Some(_), None) => {
                for v in verdicts.iter_mut() {
                    v.notes.push(
                        "trust not checked: the accessory showed no certificate to any profile"
                            .to_owned(),
                    );
                }
                return;
            }
            (Some(Err(e)), Some(_)) => Some(Diagnosis::new(
                trust::diagnosis::codes::CERT_OTHER,
                format!("the trust policy given cannot be used: {e}"),
            )),
            (Some(Ok(policy)), Some(chain)) => AccessoryVerifier::new(policy)
                .verify_offline(chain, now)
                .err()
                .map(|r| Diagnosis::from_refusal(&r)),
        };
        for v in verdicts.iter_mut() {
            if self.anchors.is_some() {
                exempt_missing_eku_under_a_profile_root(v);
            }
            if let Some(d) = &refusal {
                v.reasons.push(refused(v.platform, d, self));
            }
            v.notes.extend(self.platform_notes(v.platform));
            v.passed = v.reasons.is_empty();
        }
    }

    /// What `platform` adds to the check, which the probe cannot see or chose not to assume.
    fn platform_notes(&self, platform: Platform) -> Vec<String> {
        let mut notes = Vec::new();
        let what = match (&self.anchors, self.pins.is_empty()) {
            (Some(_), true) => "the anchors given",
            (Some(_), false) => "the anchors and pins given",
            (None, _) => "the pins given",
        };
        notes.push(format!("trust checked with {what}"));
        match &self.identity {
            None => notes.push(
                "names not checked: give --device-id, --dns or --ip with what the app connects to"
                    .to_owned(),
            ),
            Some(Identity::DeviceId(_)) => notes.push(format!(
                "{} itself matches the host the app connects to against the certificate's SAN \
                 only (an IP address against iPAddress SANs); --device-id checks the app's own \
                 rule, give --ip or --dns to check the platform's",
                platform.label()
            )),
            Some(_) => {}
        }
        if self.anchors.is_none() {
            notes.push(format!(
                "with pins alone the app must replace {}'s own evaluation (a URLSession delegate, \
                 an X509TrustManager): the platform trusts no root this accessory chains to",
                platform.label()
            ));
            return notes;
        }
        match platform.rule_book() {
            RuleBook::Apple => notes.push(
                "a root installed with a configuration profile: Apple's trustd still applies the \
                 825-day maximum to leaves issued under it on or after 1 July 2019 and matches \
                 names in the SAN only; it skips the strict serverAuth EKU check for such chains \
                 (Security SecPolicyServer.c; docs/client-profiles.md)"
                    .to_owned(),
            ),
            RuleBook::Android => notes.push(
                "apps targeting API level 24 or later ignore CAs the user installed: the app must \
                 name these anchors in its network security config (<trust-anchors><certificates \
                 src=\"@raw/…\"/>) (NetworkSecurityConfig; docs/client-profiles.md)"
                    .to_owned(),
            ),
        }
        notes
    }
}

/// The lint's finding for a leaf without any extendedKeyUsage.
const NO_EKU: &str = "no extendedKeyUsage extension";

/// Apple's trustd skips the strict serverAuth EKU rule for chains whose root is user-anchored (a
/// root installed with a profile): `SecPolicyCheckServerAuthEKU`, "/* skip user/admin-anchored
/// chains */" (Security `trust/trustd/SecPolicyServer.c` lines 2255-2300). A leaf with *no* EKU
/// then passes (the looser check accepts an absent EKU); one whose EKU lacks serverAuth still fails.
/// So with anchors given, the lint's "no extendedKeyUsage" reason does not fail an Apple verdict;
/// a note says why.
fn exempt_missing_eku_under_a_profile_root(v: &mut Verdict) {
    if v.platform.rule_book() != RuleBook::Apple {
        return;
    }
    let before = v.reasons.len();
    v.reasons
        .retain(|r| !(r.code == "lint.apple.server_auth_eku" && r.what.contains(NO_EKU)));
    if v.reasons.len() < before {
        v.notes.push(
            "the leaf has no extendedKeyUsage: accepted under a root installed with a profile \
             (trustd skips the strict serverAuth rule for user-anchored chains, \
             SecPolicyServer.c), refused under a root built into iOS"
                .to_owned(),
        );
    }
}

/// The reason a platform fails because the app would refuse the chain.
fn refused(platform: Platform, d: &Diagnosis, trust: &AppTrust) -> Reason {
    let shown = match platform.rule_book() {
        RuleBook::Apple => d.apple.map(|a| format!("Apple: {} ({})", a.name, a.number)),
        RuleBook::Android => d.android.map(|a| format!("Android: {a}")),
    };
    let against = match (&trust.anchors, &trust.identity) {
        (Some(_), Some(id)) => format!("the anchors given and {id}"),
        (Some(_), None) => "the anchors given".to_owned(),
        (None, Some(id)) => format!("the pins given and {id}"),
        (None, None) => "the pins given".to_owned(),
    };
    let detail = if d.detail.is_empty() {
        String::new()
    } else {
        format!(" ({})", d.detail)
    };
    Reason {
        code: d.code.to_owned(),
        what: format!(
            "{} would not trust the chain against {against}: {}{detail}",
            platform.label(),
            d.summary
        ),
        fix: d.fix.to_owned(),
        shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(platform: Platform, what: &str) -> Verdict {
        Verdict {
            platform,
            profile: "ios18",
            passed: false,
            reasons: vec![Reason {
                code: "lint.apple.server_auth_eku".into(),
                what: what.into(),
                fix: String::new(),
                shown: None,
            }],
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_leaf_without_eku_is_exempt_under_a_profile_root_but_one_without_server_auth_is_not() {
        let mut missing = verdict(
            Platform::Ios18,
            "iOS 18 refuses: no extendedKeyUsage extension; …",
        );
        exempt_missing_eku_under_a_profile_root(&mut missing);
        assert!(missing.reasons.is_empty());
        assert!(missing.notes[0].contains("user-anchored"));

        let mut client_only = verdict(
            Platform::Ios18,
            "iOS 18 refuses: extendedKeyUsage lacks id-kp-serverAuth (it has clientAuth)",
        );
        exempt_missing_eku_under_a_profile_root(&mut client_only);
        assert_eq!(client_only.reasons.len(), 1);
    }
}
