//! Certificate lint: will iOS, Android or a Web PKI client accept this certificate?
//!
//! The verifier answers "is this the accessory I mean?"; lint answers "will a phone accept it?". They
//! differ: a CN-only or 3-year certificate passes our verifier (identity is checked in the SAN or the
//! subject by device id) and is still refused by iOS with `errSSLPeerBadCert`-style failures in the
//! field. Each rule names the platform text it comes from and the field that breaks it, so a firmware
//! team can check the claim rather than take it on faith. Rules are data ([`RULES`]); the checks that
//! fire them live in one file per platform.
//!
//! The first certificate of the input is linted as the TLS server certificate (the chain as served,
//! leaf first); the rest as issuing CAs. A lone CA certificate (CA:TRUE with neither subjectAltName
//! nor extendedKeyUsage) is linted as a CA unless [`Role::Server`] is asked for.

mod android;
mod apple;
mod common;
mod facts;
// The report as text.
mod text;
mod webpki;

use std::fmt;

use rustls_pki_types::CertificateDer;
use serde::Serialize;
use time::OffsetDateTime;

use facts::Facts;

/// How bad a finding is. Only `Error` makes a lint fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a lint.
    Note,
    /// Accepted today, but fragile: another platform or the next OS release refuses it.
    Warning,
    /// The platform refuses the certificate.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// Whose rules a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// RFC 5280: every client applies these.
    X509,
    /// Apple's requirements for TLS server certificates (iOS 13 / macOS 10.15 and later).
    Apple,
    /// Android's (Conscrypt on Android 7 and later).
    Android,
    /// The CA/Browser Forum Baseline Requirements that browsers and webpki expect.
    Webpki,
}

/// The lint rule book: which platforms' rules to apply (`--profile` of `trust lint`). `X509`
/// rules are always applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleBook {
    /// Apple's rules (and X.509's).
    Apple,
    /// Android's rules (and X.509's).
    Android,
    /// The Web PKI's rules (and X.509's).
    Webpki,
    /// Every platform's rules.
    All,
}

impl RuleBook {
    fn includes(self, p: Platform) -> bool {
        matches!(
            (self, p),
            (_, Platform::X509)
                | (RuleBook::All, _)
                | (RuleBook::Apple, Platform::Apple)
                | (RuleBook::Android, Platform::Android)
                | (RuleBook::Webpki, Platform::Webpki)
        )
    }
}

impl std::str::FromStr for RuleBook {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "apple" => Ok(Self::Apple),
            "android" => Ok(Self::Android),
            "webpki" => Ok(Self::Webpki),
            "all" => Ok(Self::All),
            other => Err(format!(
                "unknown lint profile {other:?} (expected apple, android, webpki or all)"
            )),
        }
    }
}

/// Where a rule comes from: a document a person can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Source {
    /// Its title, as a person would cite it.
    pub name: &'static str,
    /// Where to read it.
    pub url: &'static str,
}

/// What role a certificate plays in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Decide from the certificate: the first is the server's unless it is plainly a CA.
    Auto,
    /// The TLS server (end-entity) certificate.
    Server,
    /// An issuing CA or root.
    Ca,
}

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    /// Stable id, `platform.what` (`apple.validity_825`).
    pub id: &'static str,
    /// Whose rule it is.
    pub platform: Platform,
    /// The usual severity; a finding may be milder (an anchor's own signature is never checked).
    pub severity: Severity,
    /// The certificate field that breaks the rule.
    pub field: &'static str,
    /// What the rule requires, in one sentence.
    pub summary: &'static str,
    /// The document the rule comes from.
    pub source: Source,
}

/// One broken rule on one certificate.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule's id ([`Rule::id`]).
    pub rule: &'static str,
    /// How bad it is here (may be milder than the rule's usual severity).
    pub severity: Severity,
    /// Whose rule it is.
    pub platform: Platform,
    /// Index in the input (0 = the first certificate).
    pub certificate: usize,
    /// That certificate's subject, as text.
    pub subject: String,
    /// The certificate field that breaks the rule.
    pub field: &'static str,
    /// What is wrong with this certificate, with its values.
    pub message: String,
    /// The document the rule comes from.
    pub source: Source,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] certificate #{} ({}), field {}: {} (source: {}, {})",
            self.severity,
            self.rule,
            self.certificate,
            self.subject,
            self.field,
            self.message,
            self.source.name,
            self.source.url
        )
    }
}

/// A linted certificate: who it is and the role it was linted in.
#[derive(Debug, Clone, Serialize)]
pub struct Linted {
    /// Its index in the input (0 = the first certificate).
    pub index: usize,
    /// Its subject, as text.
    pub subject: String,
    /// The role it was linted in (never [`Role::Auto`]: that is decided per certificate).
    pub role: Role,
    /// For a self-issued certificate (one an administrator would add as an anchor): the role it
    /// would play as a trust anchor, issuer or endpoint (`crate::AnchorRole`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor_role: Option<crate::AnchorRole>,
    /// Why it plays that role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor_role_reason: Option<String>,
}

/// The outcome of a lint.
#[derive(Debug, Clone, Serialize)]
pub struct LintReport {
    /// The rule book applied.
    pub profile: RuleBook,
    /// Every certificate of the input, in input order.
    pub certificates: Vec<Linted>,
    /// Every rule broken, certificate by certificate.
    pub findings: Vec<Finding>,
    /// True when no finding has error severity.
    pub passed: bool,
}

impl LintReport {
    /// How many findings have exactly this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// True if the rule fired at any severity.
    pub fn has(&self, rule: &str) -> bool {
        self.findings.iter().any(|f| f.rule == rule)
    }
}

/// How to lint.
#[derive(Debug, Clone, Copy)]
pub struct LintOptions {
    /// Which platforms' rules to apply.
    pub profile: RuleBook,
    /// The role of the first certificate (the rest are always CAs); [`Role::Auto`] decides from it.
    pub role: Role,
    /// The time expiry is judged at.
    pub now: OffsetDateTime,
}

impl LintOptions {
    /// Lints with this rule book, deciding roles from the certificates, judging expiry now.
    pub fn new(profile: RuleBook) -> Self {
        Self {
            profile,
            role: Role::Auto,
            now: OffsetDateTime::now_utc(),
        }
    }
}

/// Why a lint could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LintError {
    /// There was nothing to lint.
    #[error("no certificate to lint")]
    Empty,
    /// A certificate could not be parsed as X.509.
    #[error("certificate #{index} is not a readable X.509 certificate: {reason}")]
    Unparsable {
        /// Its index in the input (0 = the first certificate).
        index: usize,
        /// What the X.509 parser said.
        reason: String,
    },
}

impl LintError {
    /// A stable code for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => crate::diagnosis::codes::INPUT_EMPTY,
            Self::Unparsable { .. } => crate::diagnosis::codes::INPUT_BAD_CERTIFICATE,
        }
    }

    /// What a caller does about it: both are the input's fault.
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::BadInput
    }
}

/// Lints a chain (leaf first) or a lone certificate.
pub fn lint(chain: &[CertificateDer<'_>], options: &LintOptions) -> Result<LintReport, LintError> {
    if chain.is_empty() {
        return Err(LintError::Empty);
    }
    let facts = chain
        .iter()
        .enumerate()
        .map(|(i, der)| Facts::read(i, der))
        .collect::<Result<Vec<_>, _>>()?;

    let mut certificates = Vec::new();
    let mut findings = Vec::new();
    for (index, f) in facts.iter().enumerate() {
        let role = match (index, options.role) {
            (0, Role::Auto) if f.is_ca() && f.san.is_none() && f.eku.is_none() => Role::Ca,
            (0, Role::Auto) => Role::Server,
            (0, r) => r,
            _ => Role::Ca,
        };
        let anchor = f
            .self_issued
            .then(|| crate::AnchorRole::of_der(&chain[index]));
        certificates.push(Linted {
            index,
            subject: f.subject.clone(),
            role,
            anchor_role: anchor.as_ref().map(|a| a.0),
            anchor_role_reason: anchor.map(|a| a.1),
        });
        let cx = Check {
            index,
            facts: f,
            role,
            now: options.now,
        };
        let mut out = Vec::new();
        common::check(&cx, &mut out);
        if options.profile.includes(Platform::Apple) {
            apple::check(&cx, &mut out);
        }
        if options.profile.includes(Platform::Android) {
            android::check(&cx, &mut out);
        }
        if options.profile.includes(Platform::Webpki) {
            webpki::check(&cx, &mut out);
        }
        findings.extend(out);
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.certificate.cmp(&b.certificate))
    });
    let passed = !findings.iter().any(|f| f.severity == Severity::Error);
    Ok(LintReport {
        profile: options.profile,
        certificates,
        findings,
        passed,
    })
}

/// What a platform's checks see for one certificate.
pub(crate) struct Check<'a> {
    pub index: usize,
    pub facts: &'a Facts,
    pub role: Role,
    pub now: OffsetDateTime,
}

impl Check<'_> {
    pub(crate) fn server(&self) -> bool {
        self.role == Role::Server
    }

    /// A self-issued CA: a root whose own signature no client checks (it is trusted as data).
    pub(crate) fn root(&self) -> bool {
        self.role == Role::Ca && self.facts.self_issued
    }

    /// A finding for `rule` at its usual severity.
    pub(crate) fn finding(&self, rule: &'static str, message: String) -> Finding {
        let r = rule_by_id(rule);
        Finding {
            rule: r.id,
            severity: r.severity,
            platform: r.platform,
            certificate: self.index,
            subject: self.facts.subject.clone(),
            field: r.field,
            message,
            source: r.source,
        }
    }
}

/// Looks a rule up in [`RULES`]. Rule ids used in code are constants of this module, so a miss is a bug.
pub fn rule_by_id(id: &str) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("lint rule {id} is not in RULES"))
}

const RFC5280: Source = Source {
    name: "RFC 5280, Internet X.509 PKI Certificate and CRL Profile",
    url: "https://www.rfc-editor.org/rfc/rfc5280",
};
const APPLE_IOS13: Source = Source {
    name: "Apple support 103769 (HT210176): Requirements for trusted certificates in iOS 13 and macOS 10.15",
    url: "https://support.apple.com/en-us/103769",
};
const APPLE_398: Source = Source {
    name: "Apple support 102028 (HT211025): About upcoming limits on trusted certificates",
    url: "https://support.apple.com/en-us/102028",
};
const CONSCRYPT_STRENGTH: Source = Source {
    name: "Android Conscrypt ChainStrengthAnalyzer (minimum key sizes, refused signature algorithms)",
    url: "https://android.googlesource.com/platform/external/conscrypt/+/refs/heads/main/common/src/main/java/org/conscrypt/ChainStrengthAnalyzer.java",
};
const CONSCRYPT_EKU: Source = Source {
    name: "Android Conscrypt TrustManagerImpl.ExtendedKeyUsagePKIXCertPathChecker",
    url: "https://android.googlesource.com/platform/external/conscrypt/+/refs/heads/main/common/src/main/java/org/conscrypt/TrustManagerImpl.java",
};
const ANDROID_HOSTNAME: Source = Source {
    name: "Android OkHostnameVerifier (AOSP external/okhttp): no fallback to the subject CN since Android 9",
    url: "https://android.googlesource.com/platform/external/okhttp/+/refs/heads/main/okhttp/src/main/java/com/squareup/okhttp/internal/tls/OkHostnameVerifier.java",
};
const CABF_BR: Source = Source {
    name: "CA/Browser Forum Baseline Requirements for TLS server certificates",
    url: "https://cabforum.org/working-groups/server/baseline-requirements/requirements/",
};

/// Every rule lint can report, in the order the docs list them.
pub const RULES: &[Rule] = &[
    Rule {
        id: "x509.expired",
        platform: Platform::X509,
        severity: Severity::Error,
        field: "validity.notAfter",
        summary: "the certificate must not have expired (RFC 5280 4.1.2.5)",
        source: RFC5280,
    },
    Rule {
        id: "x509.not_yet_valid",
        platform: Platform::X509,
        severity: Severity::Error,
        field: "validity.notBefore",
        summary: "the certificate must already be valid; a device with a wrong clock mints these (RFC 5280 4.1.2.5)",
        source: RFC5280,
    },
    Rule {
        id: "x509.unknown_critical_extension",
        platform: Platform::X509,
        severity: Severity::Error,
        field: "extensions",
        summary: "a client must reject a certificate with a critical extension it does not recognise (RFC 5280 4.2)",
        source: RFC5280,
    },
    Rule {
        id: "apple.rsa_key_size",
        platform: Platform::Apple,
        severity: Severity::Error,
        field: "subjectPublicKeyInfo",
        summary: "TLS server certificates and issuing CAs using RSA keys must use key sizes of at least 2048 bits",
        source: APPLE_IOS13,
    },
    Rule {
        id: "apple.sha2_signature",
        platform: Platform::Apple,
        severity: Severity::Error,
        field: "signatureAlgorithm",
        summary: "TLS server certificates and issuing CAs must be signed with a SHA-2 family hash; SHA-1 is not trusted",
        source: APPLE_IOS13,
    },
    Rule {
        id: "apple.san_dns_name",
        platform: Platform::Apple,
        severity: Severity::Error,
        field: "subjectAltName",
        summary: "the server's name must be in the subjectAltName extension; names in the CommonName are not trusted",
        source: APPLE_IOS13,
    },
    Rule {
        id: "apple.server_auth_eku",
        platform: Platform::Apple,
        severity: Severity::Error,
        field: "extendedKeyUsage",
        summary: "certificates issued on or after 2019-07-01 must have an extendedKeyUsage with id-kp-serverAuth",
        source: APPLE_IOS13,
    },
    Rule {
        id: "apple.validity_825",
        platform: Platform::Apple,
        severity: Severity::Error,
        field: "validity",
        summary: "certificates issued on or after 2019-07-01 must have a validity period of 825 days or fewer",
        source: APPLE_IOS13,
    },
    Rule {
        id: "apple.validity_398",
        platform: Platform::Apple,
        severity: Severity::Note,
        field: "validity",
        summary: "398 days is the limit for certificates from roots built into the OS (issued on or after 2020-09-01); it does not apply to roots an admin installs",
        source: APPLE_398,
    },
    Rule {
        id: "android.rsa_key_size",
        platform: Platform::Android,
        severity: Severity::Error,
        field: "subjectPublicKeyInfo",
        summary: "RSA keys under 1024 bits are refused; under 2048 bits they pass on Android but fail on iOS and the Web PKI",
        source: CONSCRYPT_STRENGTH,
    },
    Rule {
        id: "android.weak_signature",
        platform: Platform::Android,
        severity: Severity::Error,
        field: "signatureAlgorithm",
        summary: "MD2/MD4/MD5 and SHA-1 signatures (RSA, DSA, ECDSA) are refused in the chain",
        source: CONSCRYPT_STRENGTH,
    },
    Rule {
        id: "android.san_required",
        platform: Platform::Android,
        severity: Severity::Error,
        field: "subjectAltName",
        summary: "the hostname must be in the subjectAltName: Android 9+ does not fall back to the CN",
        source: ANDROID_HOSTNAME,
    },
    Rule {
        id: "android.server_auth_eku",
        platform: Platform::Android,
        severity: Severity::Error,
        field: "extendedKeyUsage",
        summary: "if the server certificate has an extendedKeyUsage, it must allow serverAuth (or anyExtendedKeyUsage)",
        source: CONSCRYPT_EKU,
    },
    Rule {
        id: "webpki.validity_398",
        platform: Platform::Webpki,
        severity: Severity::Error,
        field: "validity",
        summary: "subscriber certificates may be valid for at most 398 days (BR 6.3.2)",
        source: CABF_BR,
    },
    Rule {
        id: "webpki.san_required",
        platform: Platform::Webpki,
        severity: Severity::Error,
        field: "subjectAltName",
        summary: "subscriber certificates must carry a subjectAltName with dNSName or iPAddress entries (BR 7.1.2.7.12)",
        source: CABF_BR,
    },
    Rule {
        id: "webpki.server_auth_eku",
        platform: Platform::Webpki,
        severity: Severity::Error,
        field: "extendedKeyUsage",
        summary: "subscriber certificates must have an extendedKeyUsage with id-kp-serverAuth and without anyExtendedKeyUsage (BR 7.1.2.7.10)",
        source: CABF_BR,
    },
    Rule {
        id: "webpki.rsa_key_size",
        platform: Platform::Webpki,
        severity: Severity::Error,
        field: "subjectPublicKeyInfo",
        summary: "RSA moduli must be at least 2048 bits and a multiple of 8 (BR 6.1.5)",
        source: CABF_BR,
    },
    Rule {
        id: "webpki.ec_curve",
        platform: Platform::Webpki,
        severity: Severity::Error,
        field: "subjectPublicKeyInfo",
        summary: "ECDSA keys must be on P-256, P-384 or P-521 (BR 6.1.5)",
        source: CABF_BR,
    },
    Rule {
        id: "webpki.sha1_signature",
        platform: Platform::Webpki,
        severity: Severity::Error,
        field: "signatureAlgorithm",
        summary: "certificates must not be signed with SHA-1 or MD5 (BR 7.1.3.2)",
        source: CABF_BR,
    },
    Rule {
        id: "webpki.ca_as_end_entity",
        platform: Platform::Webpki,
        severity: Severity::Error,
        field: "basicConstraints",
        summary: "a server certificate must not be a CA (cA FALSE, BR 7.1.2.7.8); rustls-webpki refuses it as CaUsedAsEndEntity unless it is itself the anchor",
        source: CABF_BR,
    },
    Rule {
        id: "webpki.cn_in_san",
        platform: Platform::Webpki,
        severity: Severity::Warning,
        field: "subject.commonName",
        summary: "if a CN is present it must repeat one of the subjectAltName entries (BR 7.1.4.3)",
        source: CABF_BR,
    },
];

#[cfg(test)]
mod tests;
