//! `Diagnosis`: every refusal and failure, explained to the person who has to fix it.
//!
//! A diagnosis has a stable code (scripts, the ledger and field reports match on it), what
//! happened, the likely cause, the fix, and the names other platforms give the same failure, so a
//! firmware team holding an iOS log line (`errSSLPeerBadCert -9825`) or an Android stack trace can
//! find it here. [`CATALOGUE`] lists every code of every library; the CLI and the README print
//! their tables from it. A diagnosis is built one way: [`Diagnosis::new`] looks its code up in the
//! catalogue (the `from_*` constructors and [`diagnose`] find the code, then call it).

use std::fmt;
use std::io;

use rustls::{AlertDescription, CertificateError, PeerIncompatible};
use serde::Serialize;

use crate::error::{Error, Refusal};
use crate::kind::ErrorKind;

mod catalogue;
pub mod codes;
mod explain;

pub use catalogue::{apple, CATALOGUE};
use catalogue::{entry, ALERT_NAMES};
pub use explain::{explain, Cause, Explanation, EXPLANATIONS};

/// The name Apple's platforms give a failure: `errSSLPeerBadCert`, -9825.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ApplePlatformName {
    /// The constant's name.
    pub name: &'static str,
    /// Its value (an `OSStatus`, an `NSURLError` code, or a POSIX errno on Apple platforms).
    pub number: i32,
}

/// An explained failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// What a caller does about it (the binary's exit status); the catalogue decides, per code.
    #[serde(skip)]
    pub kind: ErrorKind,
    /// The stable code, e.g. `cert.expired`.
    pub code: &'static str,
    /// What happened, in one sentence.
    pub summary: &'static str,
    /// The likely cause.
    pub cause: &'static str,
    /// What to do about it.
    pub fix: &'static str,
    /// What Apple's platforms call it.
    pub apple: Option<ApplePlatformName>,
    /// What Android (Conscrypt/OkHttp) reports.
    pub android: Option<&'static str>,
    /// The specifics of this occurrence (dates, names, pins); empty in the catalogue.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// The host this occurrence was about (the address an app would connect to), named where a
    /// platform's message names it (`Hostname <host> not verified`); `None` in the catalogue.
    #[serde(skip)]
    pub host: Option<String>,
}

impl Diagnosis {
    /// This occurrence was about `host` (the address or name an app would connect to): platform
    /// messages that name the host name it instead of `<host>`.
    pub fn naming_host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// What Android reports, with the host this occurrence was about when it is known.
    pub fn android_text(&self) -> Option<String> {
        let a = self.android?;
        Some(match &self.host {
            Some(h) => a.replace("<host>", h),
            None => a.to_owned(),
        })
    }

    /// The catalogue entry for `code`, if there is one.
    pub fn lookup(code: &str) -> Option<&'static Diagnosis> {
        CATALOGUE.iter().find(|d| d.code == code)
    }

    /// The catalogue entry for `code` with `detail` attached (an unknown code gets the generic
    /// TLS entry with that code's name in the detail, so nothing is lost).
    pub fn new(code: &str, detail: impl Into<String>) -> Self {
        let mut detail = detail.into();
        let mut d = match Self::lookup(code) {
            Some(d) => d.clone(),
            None => {
                detail = format!("{code}: {detail}");
                Self::lookup(codes::TLS_OTHER).cloned().unwrap_or_else(|| {
                    entry(
                        ErrorKind::Unreachable,
                        codes::TLS_OTHER,
                        "the TLS handshake failed",
                        "",
                        "",
                        None,
                        None,
                    )
                })
            }
        };
        d.detail = detail;
        d
    }

    /// The diagnosis of a refusal.
    pub fn from_refusal(r: &Refusal) -> Self {
        Self::new(r.code(), r.detail())
    }

    /// The diagnosis of a socket error: refused, no route, reset, timeout, or a rustls error that
    /// tokio-rustls carried inside an `io::Error`.
    pub fn from_io(e: &io::Error) -> Self {
        if let Some(inner) = e.get_ref() {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return diagnose(tls);
            }
            if let Some(ours) = inner.downcast_ref::<Error>() {
                return Self::from_error(ours);
            }
        }
        let code = match (e.kind(), e.raw_os_error()) {
            (io::ErrorKind::ConnectionRefused, _) => codes::REFUSED,
            (io::ErrorKind::HostUnreachable, _) => codes::NO_ROUTE,
            (io::ErrorKind::NetworkUnreachable, _) => codes::NET_UNREACHABLE,
            (_, Some(EHOSTUNREACH)) => codes::NO_ROUTE,
            (_, Some(ENETUNREACH)) => codes::NET_UNREACHABLE,
            (io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted, _)
            | (io::ErrorKind::BrokenPipe, _) => codes::RESET,
            (io::ErrorKind::UnexpectedEof, _) => codes::CLOSED,
            (io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock, _) => codes::TIMEOUT,
            _ => codes::NET_OTHER,
        };
        Self::new(code, e.to_string())
    }

    /// The diagnosis of this crate's error (a refusal, or the error's own code).
    pub fn from_error(e: &Error) -> Self {
        match e {
            Error::Refused(r) => Self::from_refusal(r),
            other => Self::new(other.code(), other.to_string()),
        }
    }

    /// The diagnosis of any error: walks the `source()` chain for an `io::Error`, a rustls error
    /// or one of ours.
    pub fn from_any(e: &(dyn std::error::Error + 'static)) -> Self {
        let mut cur = Some(e);
        while let Some(err) = cur {
            if let Some(tls) = err.downcast_ref::<rustls::Error>() {
                return diagnose(tls);
            }
            if let Some(ours) = err.downcast_ref::<Error>() {
                return Self::from_error(ours);
            }
            if let Some(r) = err.downcast_ref::<Refusal>() {
                return Self::from_refusal(r);
            }
            if let Some(io) = err.downcast_ref::<io::Error>() {
                return Self::from_io(io);
            }
            cur = err.source();
        }
        Self::new(codes::TLS_OTHER, e.to_string())
    }
}

#[cfg(target_vendor = "apple")]
const EHOSTUNREACH: i32 = 65;
#[cfg(not(target_vendor = "apple"))]
const EHOSTUNREACH: i32 = 113;
#[cfg(target_vendor = "apple")]
const ENETUNREACH: i32 = 51;
#[cfg(not(target_vendor = "apple"))]
const ENETUNREACH: i32 = 101;

impl From<&rustls::Error> for Diagnosis {
    fn from(e: &rustls::Error) -> Self {
        diagnose(e)
    }
}

impl From<&io::Error> for Diagnosis {
    fn from(e: &io::Error) -> Self {
        Self::from_io(e)
    }
}

impl From<&Error> for Diagnosis {
    fn from(e: &Error) -> Self {
        Self::from_error(e)
    }
}

impl From<&Refusal> for Diagnosis {
    fn from(r: &Refusal) -> Self {
        Self::from_refusal(r)
    }
}

impl fmt::Display for Diagnosis {
    /// `{}`: one line, `code: summary (detail)`. `{:#}`: adds cause, fix and platform names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.summary)?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        if f.alternate() {
            write!(f, "\n  likely cause: {}\n  fix: {}", self.cause, self.fix)?;
            if let Some(a) = &self.apple {
                write!(f, "\n  Apple: {} ({})", a.name, a.number)?;
            }
            if let Some(a) = self.android_text() {
                write!(f, "\n  Android: {a}")?;
            }
        }
        Ok(())
    }
}

/// Explains a rustls error: a refusal from this crate's verifiers, webpki's and rustls's own
/// certificate errors, peer alerts, version and protocol failures.
pub fn diagnose(e: &rustls::Error) -> Diagnosis {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(CertificateError::Other(other)) => from_other(&other.0),
        E::InvalidCertificate(c) => Diagnosis::new(code_of_certificate_error(c), e.to_string()),
        E::AlertReceived(a) => Diagnosis::new(&alert_code(*a), e.to_string()),
        E::PeerIncompatible(p) => {
            let code = match p {
                PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
                | PeerIncompatible::SupportedVersionsExtensionRequired
                | PeerIncompatible::Tls12NotOffered
                | PeerIncompatible::Tls12NotOfferedOrEnabled
                | PeerIncompatible::Tls13RequiredForQuic => codes::NO_COMMON_VERSION,
                _ => codes::INCOMPATIBLE,
            };
            Diagnosis::new(code, e.to_string())
        }
        E::PeerMisbehaved(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. } => {
            Diagnosis::new(codes::PEER_MISBEHAVED, e.to_string())
        }
        E::InvalidMessage(_) => Diagnosis::new(codes::NOT_TLS, e.to_string()),
        E::NoCertificatesPresented => Diagnosis::new(codes::NONE_PRESENTED, e.to_string()),
        E::Other(other) => from_other(&other.0),
        _ => Diagnosis::new(codes::TLS_OTHER, e.to_string()),
    }
}

fn from_other(err: &std::sync::Arc<dyn std::error::Error + Send + Sync>) -> Diagnosis {
    let err: &(dyn std::error::Error + 'static) = err.as_ref();
    if let Some(ours) = err.downcast_ref::<Error>() {
        return Diagnosis::from_error(ours);
    }
    if let Some(r) = err.downcast_ref::<Refusal>() {
        return Diagnosis::from_refusal(r);
    }
    if let Some(w) = err.downcast_ref::<webpki::Error>() {
        return Diagnosis::from_refusal(&refusal_from_webpki(w));
    }
    Diagnosis::new(codes::CERT_OTHER, err.to_string())
}

/// The RFC name of an alert number (`bad_certificate` for 42), from the IANA registry; `None` for
/// an unassigned number. The one table of alert names: the codes below and `probe` use it.
pub fn alert_name(number: u8) -> Option<&'static str> {
    ALERT_NAMES
        .iter()
        .find(|(num, _)| *num == number)
        .map(|(_, name)| *name)
}

/// How an alert is spelled everywhere (reports, the simulator's `alert=` fault, `probe`): its RFC
/// name from the one table ([`alert_name`]), or `alert_N` for a number without one. The one
/// fallback rule; [`alert_number`] reads every spelling it makes back.
pub fn alert_label(number: u8) -> &'static str {
    static LABELS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        (0..=u8::MAX)
            .map(|n| alert_name(n).map_or_else(|| format!("alert_{n}"), str::to_owned))
            .collect()
    });
    &LABELS[usize::from(number)]
}

/// The number of an alert spelled as [`alert_label`] spells it (`bad_certificate`, `alert_200`).
pub fn alert_number(label: &str) -> Option<u8> {
    if let Some((number, _)) = ALERT_NAMES.iter().find(|(_, name)| *name == label) {
        return Some(*number);
    }
    label.strip_prefix("alert_")?.parse().ok()
}

/// Every alert name of the one table, in number order.
pub fn alert_names() -> impl Iterator<Item = &'static str> {
    ALERT_NAMES.iter().map(|(_, name)| *name)
}

/// The code of a peer alert: `tls.peer_alert.<name>`.
pub fn alert_code(a: AlertDescription) -> String {
    match alert_name(u8::from(a)) {
        Some(name) => format!("tls.peer_alert.{name}"),
        None => codes::PEER_ALERT_UNKNOWN.to_owned(),
    }
}

#[allow(deprecated)]
fn code_of_certificate_error(c: &CertificateError) -> &'static str {
    use CertificateError as C;
    match c {
        C::BadEncoding => codes::BAD_ENCODING,
        C::Expired | C::ExpiredContext { .. } => codes::EXPIRED,
        C::NotValidYet | C::NotValidYetContext { .. } => codes::NOT_YET_VALID,
        C::Revoked => codes::REVOKED,
        C::UnknownIssuer => codes::UNKNOWN_ISSUER,
        C::BadSignature => codes::BAD_SIGNATURE,
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => codes::WEAK_SIGNATURE,
        C::NotValidForName | C::NotValidForNameContext { .. } => codes::WRONG_NAME,
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => codes::INVALID_PURPOSE,
        _ => codes::CERT_OTHER,
    }
}

/// Maps webpki's verdict to ours (rustls folds several of these, `CaUsedAsEndEntity` and
/// `UnsupportedCriticalExtension` among them, into an opaque `Other`; we keep them apart).
pub(crate) fn refusal_from_webpki(e: &webpki::Error) -> Refusal {
    use webpki::Error as W;
    #[allow(deprecated)]
    let code = match e {
        W::CertExpired { .. } => codes::EXPIRED,
        W::CertNotValidYet { .. } => codes::NOT_YET_VALID,
        W::CertNotValidForName(_) | W::UnsupportedNameType => codes::WRONG_NAME,
        W::UnknownIssuer | W::CertDistrusted => codes::UNKNOWN_ISSUER,
        W::CaUsedAsEndEntity => codes::CA_USED_AS_END_ENTITY,
        W::EndEntityUsedAsCa => codes::END_ENTITY_USED_AS_CA,
        W::RequiredEkuNotFound | W::RequiredEkuNotFoundContext(_) => codes::INVALID_PURPOSE,
        W::UnsupportedCriticalExtension => codes::UNSUPPORTED_CRITICAL_EXTENSION,
        W::UnsupportedSignatureAlgorithm
        | W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKey
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => codes::WEAK_SIGNATURE,
        W::InvalidSignatureForPublicKey | W::SignatureAlgorithmMismatch => codes::BAD_SIGNATURE,
        W::NameConstraintViolation => codes::NAME_CONSTRAINT_VIOLATION,
        W::PathLenConstraintViolated | W::MaximumPathDepthExceeded => codes::PATH_LEN_EXCEEDED,
        W::MaximumPathBuildCallsExceeded
        | W::MaximumSignatureChecksExceeded
        | W::MaximumNameConstraintComparisonsExceeded => codes::PATH_TOO_COMPLEX,
        W::CertRevoked => codes::REVOKED,
        W::BadDer
        | W::BadDerTime
        | W::TrailingData(_)
        | W::MalformedExtensions
        | W::ExtensionValueInvalid
        | W::UnsupportedCertVersion
        | W::InvalidSerialNumber
        | W::EmptyEkuExtension
        | W::MalformedDnsIdentifier
        | W::MalformedNameConstraint
        | W::InvalidNetworkMaskConstraint
        | W::InvalidCertValidity => codes::BAD_ENCODING,
        _ => codes::CERT_OTHER,
    };
    Refusal::new(code, webpki_detail(e))
}

fn webpki_detail(e: &webpki::Error) -> String {
    use webpki::Error as W;
    match e {
        W::CertExpired { time, not_after } => format!(
            "expired at {}, checked at {}",
            crate::date::rfc3339(not_after.as_secs() as i64),
            crate::date::rfc3339(time.as_secs() as i64)
        ),
        W::CertNotValidYet { time, not_before } => format!(
            "valid from {}, checked at {}",
            crate::date::rfc3339(not_before.as_secs() as i64),
            crate::date::rfc3339(time.as_secs() as i64)
        ),
        W::CaUsedAsEndEntity => {
            "the end-entity certificate says CA:TRUE and is not itself an anchor".to_owned()
        }
        W::UnknownIssuer => "no path from this certificate to any of the anchors given".to_owned(),
        other => format!("webpki: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alert_number_has_one_spelling_that_reads_back() {
        assert_eq!(alert_label(42), "bad_certificate");
        assert_eq!(alert_label(200), "alert_200");
        for n in 0..=u8::MAX {
            assert_eq!(alert_number(alert_label(n)), Some(n), "{n}");
        }
        assert_eq!(alert_number("bad_cert"), None);
        assert!(alert_names().any(|name| name == "certificate_required"));
    }

    #[test]
    fn every_code_constant_is_in_the_catalogue() {
        let source = include_str!("codes.rs");
        let mut n = 0;
        for line in source.lines().filter(|l| l.starts_with("pub const ")) {
            let code = line
                .split('"')
                .nth(1)
                .expect("a code constant is a string literal");
            assert!(
                Diagnosis::lookup(code).is_some(),
                "{code} is not in the catalogue"
            );
            n += 1;
        }
        assert!(n > 50, "only {n} code constants found in codes.rs");
    }

    #[test]
    fn every_code_in_the_catalogue_is_unique_and_explained() {
        let mut seen = std::collections::HashSet::new();
        for d in CATALOGUE {
            assert!(seen.insert(d.code), "duplicate {}", d.code);
            assert!(
                !d.summary.is_empty() && !d.cause.is_empty() && !d.fix.is_empty(),
                "{}",
                d.code
            );
        }
        for (_, name) in ALERT_NAMES {
            let code = format!("tls.peer_alert.{name}");
            assert!(
                Diagnosis::lookup(&code).is_some(),
                "{code} missing from the catalogue"
            );
        }
    }

    #[test]
    fn a_bad_certificate_alert_is_what_apple_calls_errsslpeerbadcert() {
        let d = diagnose(&rustls::Error::AlertReceived(
            AlertDescription::BadCertificate,
        ));
        assert_eq!(d.code, "tls.peer_alert.bad_certificate");
        assert_eq!(d.apple, apple("errSSLPeerBadCert", -9825));
    }

    #[test]
    fn an_unknown_ca_alert_is_errsslpeerunknownca_minus_9831_not_minus_9850() {
        // SecureTransport.h: errSSLPeerUnknownCA = -9831; -9850 is errSSLWeakPeerEphemeralDHKey.
        let d = diagnose(&rustls::Error::AlertReceived(AlertDescription::UnknownCA));
        assert_eq!(d.code, "tls.peer_alert.unknown_ca");
        assert_eq!(d.apple, apple("errSSLPeerUnknownCA", -9831));
    }

    #[test]
    fn webpki_errors_rustls_hides_in_other_keep_their_names() {
        for (w, code) in [
            (
                webpki::Error::CaUsedAsEndEntity,
                codes::CA_USED_AS_END_ENTITY,
            ),
            (
                webpki::Error::UnsupportedCriticalExtension,
                codes::UNSUPPORTED_CRITICAL_EXTENSION,
            ),
        ] {
            let e = rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
                std::sync::Arc::new(w),
            )));
            assert_eq!(diagnose(&e).code, code);
        }
    }

    #[test]
    fn socket_errors_are_named_by_kind_and_errno() {
        let from = |e: io::Error| Diagnosis::from_io(&e).code;
        assert_eq!(
            from(io::ErrorKind::ConnectionRefused.into()),
            codes::REFUSED
        );
        assert_eq!(
            from(io::Error::from_raw_os_error(EHOSTUNREACH)),
            codes::NO_ROUTE
        );
        assert_eq!(
            from(io::Error::from_raw_os_error(ENETUNREACH)),
            codes::NET_UNREACHABLE
        );
        assert_eq!(from(io::ErrorKind::ConnectionReset.into()), codes::RESET);
        assert_eq!(from(io::ErrorKind::TimedOut.into()), codes::TIMEOUT);
        let wrapped = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::ProtocolVersion),
        );
        assert_eq!(from(wrapped), "tls.peer_alert.protocol_version");
    }
}
