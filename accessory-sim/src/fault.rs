//! The fault catalogue: every field failure the simulator can reproduce, parsed from `name[=value]`.
//!
//! The spelling is the one in DESIGN.md and in the `certs` profile names, so a QA script can take a
//! name from a field report and pass it straight to `accessory sim --fault`. Durations are seconds
//! unless suffixed with `ms` (`slow-status=2`, `drip=20ms`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::alert::Alert;
use crate::error::Error;

/// Certificate faults: served through the `certs` profile of the same name (every profile but the
/// good ones; `certs` keeps the one list).
pub fn certificate_faults() -> impl Iterator<Item = &'static str> {
    certs::faulty_profiles().iter().map(|p| p.name)
}

/// The one fault table: every kind of fault but the certificate ones, in the order `--list-faults`
/// prints them, with its name, its `name[=value]` syntax (with the default) and what it does.
/// Parsing ([`Fault::from_str`]), [`Fault::name`], `--list-faults` and the unknown-fault message all
/// read it.
pub const FAULT_KINDS: &[FaultKind] = &[
    FaultKind::WrongKey,
    FaultKind::Tls12Only,
    FaultKind::ClientHelloLimit,
    FaultKind::SingleRead,
    FaultKind::InContentLen,
    FaultKind::Alert,
    FaultKind::RequireClientCert,
    FaultKind::Stall,
    FaultKind::Drip,
    FaultKind::WrongPassphrase,
    FaultKind::NetworkNotFound,
    FaultKind::RebootAfterApply,
    FaultKind::Http500,
    FaultKind::MalformedJson,
    FaultKind::SlowStatus,
];

/// The catalogue name nearest to `name` (edit distance at most a third of its length, at least 2),
/// for "did you mean ...?".
fn nearest_name(name: &str) -> Option<&'static str> {
    let names = certificate_faults().chain(FAULT_KINDS.iter().map(|k| k.name()));
    let (best, distance) = names
        .map(|n| (n, edit_distance(name, n)))
        .min_by_key(|(_, d)| *d)?;
    (distance <= (name.len() / 3).max(2)).then_some(best)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            previous = here;
        }
    }
    row[b.len()]
}

/// The kind of a [`Fault`] without its value: what the scenario asks "is there one of these?" with
/// ([`crate::Scenario::has`]). Certificate faults are one kind, [`FaultKind::Certificate`]: their
/// names are the `certs` profile names.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// [`Fault::Certificate`].
    Certificate,
    /// [`Fault::WrongKey`].
    WrongKey,
    /// [`Fault::Tls12Only`].
    Tls12Only,
    /// [`Fault::ClientHelloLimit`].
    ClientHelloLimit,
    /// [`Fault::SingleRead`].
    SingleRead,
    /// [`Fault::InContentLen`].
    InContentLen,
    /// [`Fault::Alert`].
    Alert,
    /// [`Fault::RequireClientCert`].
    RequireClientCert,
    /// [`Fault::Stall`].
    Stall,
    /// [`Fault::Drip`].
    Drip,
    /// [`Fault::WrongPassphrase`].
    WrongPassphrase,
    /// [`Fault::NetworkNotFound`].
    NetworkNotFound,
    /// [`Fault::RebootAfterApply`].
    RebootAfterApply,
    /// [`Fault::Http500`].
    Http500,
    /// [`Fault::MalformedJson`].
    MalformedJson,
    /// [`Fault::SlowStatus`].
    SlowStatus,
}

impl FaultKind {
    /// The name, `wrong-key` (for [`FaultKind::Certificate`]: `certificate`, a kind, not a fault
    /// name; a certificate fault is named by its profile).
    pub fn name(self) -> &'static str {
        self.row().0
    }

    /// The `name[=value]` syntax with its default, as `--list-faults` prints it.
    /// Which part of the accessory the fault acts on: `tls` or `application`.
    pub fn group(self) -> &'static str {
        match self {
            FaultKind::WrongPassphrase
            | FaultKind::NetworkNotFound
            | FaultKind::RebootAfterApply
            | FaultKind::Http500
            | FaultKind::MalformedJson
            | FaultKind::SlowStatus => "application",
            FaultKind::Certificate | FaultKind::WrongKey => "certificate",
            _ => "tls",
        }
    }

    /// How it is written on the command line (`clienthello-limit=N[,reset|,ALERT]`).
    pub fn syntax(self) -> &'static str {
        self.row().1
    }

    /// What the fault does, in one line.
    pub fn summary(self) -> &'static str {
        self.row().2
    }

    /// The kind named `name` (not the certificate faults: see [`certificate_faults`]).
    pub fn named(name: &str) -> Option<FaultKind> {
        FAULT_KINDS.iter().copied().find(|k| k.name() == name)
    }

    /// The table row: (name, syntax, summary).
    fn row(self) -> (&'static str, &'static str, &'static str) {
        match self {
            FaultKind::Certificate => (
                "certificate",
                "PROFILE",
                "serve the certs profile of this name (`accessory certs profiles`)",
            ),
            // The name is the certs catalogue's (`certs::WRONG_KEY`), which lists it as a serving fault.
            FaultKind::WrongKey => (
                certs::WRONG_KEY.name,
                certs::WRONG_KEY.name,
                certs::WRONG_KEY.summary,
            ),
            FaultKind::Tls12Only => ("tls12-only", "tls12-only", "speak TLS 1.2 only"),
            FaultKind::ClientHelloLimit => (
                "clienthello-limit",
                "clienthello-limit=N[,reset|,ALERT]",
                "refuse a first TLS record longer than N bytes: close without an alert, as mbedTLS does",
            ),
            FaultKind::SingleRead => (
                "single-read",
                "single-read[=16384]",
                "read the ClientHello with one recv(), reset when it was split",
            ),
            FaultKind::InContentLen => (
                "in-content-len",
                "in-content-len=N",
                "refuse any record with more than N bytes of plaintext: close without an alert, as mbedTLS built with MBEDTLS_SSL_IN_CONTENT_LEN=N does",
            ),
            FaultKind::Alert => (
                "alert",
                "alert=NAME[@accept|@hello|@handshake]",
                "send a fatal alert at a chosen point of the handshake",
            ),
            FaultKind::RequireClientCert => (
                "require-client-cert",
                "require-client-cert[=stock|=mbedtls]",
                "require a client certificate from the scenario's client CA (mutual TLS)",
            ),
            FaultKind::Stall => ("stall", "stall", "accept the connection and never answer"),
            FaultKind::Drip => (
                "drip",
                "drip[=5ms]",
                "send the server's bytes one at a time",
            ),
            FaultKind::WrongPassphrase => (
                "wrong-passphrase",
                "wrong-passphrase",
                "every join fails with auth_failed",
            ),
            FaultKind::NetworkNotFound => (
                "network-not-found",
                "network-not-found",
                "every join fails with network_not_found",
            ),
            FaultKind::RebootAfterApply => (
                "reboot-after-apply",
                "reboot-after-apply[=5]",
                "after an apply, go away for this many seconds",
            ),
            FaultKind::Http500 => ("http-500", "http-500", "answer every API request 500"),
            FaultKind::MalformedJson => {
                ("malformed-json", "malformed-json", "cut JSON answers short")
            }
            FaultKind::SlowStatus => (
                "slow-status",
                "slow-status[=3]",
                "delay every status answer by this many seconds",
            ),
        }
    }
}

/// One fault. Several may be combined in a scenario.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Serve the `certs` profile of this name instead of a good certificate (`expired`...).
    Certificate(String),
    /// A genuine certificate served with another key: what a man in the middle can do.
    WrongKey,
    /// Speak TLS 1.2 only.
    Tls12Only,
    /// A small embedded stack: a first TLS record (the ClientHello) longer than `max` bytes,
    /// header included, is answered with `answer` instead of a ServerHello. By default the
    /// connection is closed without an alert, as mbedTLS does with a ClientHello larger than
    /// `MBEDTLS_SSL_IN_CONTENT_LEN` (2.28.10 `ssl_srv.c` line 1500, 3.6.6 `ssl_msg.c` lines
    /// 2165-2168: an error return, no `mbedtls_ssl_send_alert_message`; docs/alerts.md).
    ClientHelloLimit {
        /// The largest first record the stack can read, in bytes, its 5-byte header included.
        max: usize,
        /// What the stack does with a larger one.
        answer: LimitAnswer,
    },
    /// Firmware that reads the ClientHello with exactly one `read()` (up to `buffer` bytes) and,
    /// when that read did not hold the whole record, resets the connection: no record buffering
    /// (mbedTLS's `mbedtls_ssl_fetch_input` loops until the record is complete; hand-rolled
    /// `recv()`/peek code in front of the stack does not). A hello that crosses the Wi-Fi MSS, as
    /// iOS 26's post-quantum one does, arrives in two segments and is reset; the same bytes in one
    /// segment pass. The class of bug is documented by tldr.fail ("a single call to TCP read()
    /// might not return the entire ClientHello packet … Most buggy servers are not prepared to
    /// have to call read() more than once"), mholt/caddy-l4#346 ("assumed the entire ClientHello
    /// would be present in the first read") and golang/go#70047; that accessory firmware shows it
    /// for iOS 26 is unverified (no accessory field report found). Sources in
    /// docs/client-profiles.md.
    SingleRead {
        /// The size of the one read, in bytes [default: 16,384].
        buffer: usize,
    },
    /// A TLS stack whose input buffer holds `max` bytes of plaintext: any record with more (a
    /// ClientHello, or after the handshake an application record, which iOS and Android send
    /// up to 16,384 bytes long) ends the connection without an alert, as mbedTLS built with
    /// `MBEDTLS_SSL_IN_CONTENT_LEN` = `max` does (v3.6.6 `ssl_msg.c` lines 2165-2168 and
    /// 4301-4306: an error return, no alert; `crate::in_content`, docs/alerts.md).
    InContentLen {
        /// `MBEDTLS_SSL_IN_CONTENT_LEN`, in bytes of plaintext (512 to 16,384).
        max: usize,
    },
    /// Send a fatal alert at a chosen point of the handshake.
    Alert {
        /// The alert (`bad_certificate` is what Apple reports as `errSSLPeerBadCert`).
        alert: Alert,
        /// When.
        point: AlertPoint,
    },
    /// Require a client certificate issued by the scenario's client CA (mutual TLS).
    RequireClientCert {
        /// The alert a missing or refused client certificate gets.
        refusal: ClientCertRefusal,
    },
    /// Accept the TCP connection and never answer.
    Stall,
    /// Send the server's bytes one at a time, this long apart.
    Drip {
        /// The pause after each byte.
        per_byte: Duration,
    },
    /// Every join fails with `auth_failed`, whatever the passphrase.
    WrongPassphrase,
    /// Every join fails with `network_not_found`.
    NetworkNotFound,
    /// After an apply, drop every connection and the listener, and come back after `down`.
    RebootAfterApply {
        /// How long the accessory is away.
        down: Duration,
    },
    /// Every API request is answered `500` with a JSON error.
    Http500,
    /// JSON answers are cut short (invalid JSON, right content type).
    MalformedJson,
    /// Every status answer is delayed by this much.
    SlowStatus {
        /// The delay.
        delay: Duration,
    },
}

/// How a stack with a ClientHello limit refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitAnswer {
    /// Close the connection (FIN) without an alert: mbedTLS's answer (the default).
    Close,
    /// A plaintext fatal alert.
    Alert(Alert),
    /// A TCP reset (SO_LINGER 0).
    Reset,
}

/// How a `require-client-cert` accessory refuses a client without a valid certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientCertRefusal {
    /// `bad_certificate` (42) for a missing, unknown or invalid certificate, as small embedded
    /// stacks (mbedTLS, ESP-IDF) send it; Apple reports it as `errSSLPeerBadCert` (-9825). The
    /// default. A missing certificate is refused right after the handshake, encrypted.
    #[default]
    BadCertificate,
    /// rustls's own alerts (`require-client-cert=stock`): `certificate_required` (116) for a
    /// missing certificate, and the alert of the verification error (`unknown_ca`,
    /// `certificate_unknown`...) for a refused one.
    Stock,
    /// mbedTLS's (`require-client-cert=mbedtls`, `crate::personality`): `unknown_ca` (48) for an
    /// untrusted certificate; a missing one closed without an alert in TLS 1.2 and answered with
    /// `no_certificate` (41) in TLS 1.3, after the handshake.
    Mbedtls,
}

/// Where an `alert=` fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertPoint {
    /// As soon as the TCP connection is accepted, before reading anything.
    Accept,
    /// After reading the ClientHello, instead of the ServerHello (the default).
    Hello,
    /// After the handshake completed, encrypted, before any request is read.
    Handshake,
}

impl Fault {
    /// Every fault name, for help text and error messages.
    pub fn catalogue() -> Vec<&'static str> {
        certificate_faults()
            .chain(FAULT_KINDS.iter().map(|k| k.syntax()))
            .collect()
    }

    /// The catalogue with one line each: `(syntax, group, description)`, for `--list-faults`.
    pub fn described() -> Vec<(&'static str, &'static str, &'static str)> {
        certs::faulty_profiles()
            .iter()
            .map(|p| (p.name, "certificate", p.summary))
            .chain(
                FAULT_KINDS
                    .iter()
                    .map(|k| (k.syntax(), k.group(), k.summary())),
            )
            .collect()
    }

    /// The canonical name, without value: the profile's for a certificate fault, else the table's.
    pub fn name(&self) -> &str {
        match self {
            Fault::Certificate(p) => p,
            other => other.kind().name(),
        }
    }

    /// The kind, without the value.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Certificate(_) => FaultKind::Certificate,
            Fault::WrongKey => FaultKind::WrongKey,
            Fault::Tls12Only => FaultKind::Tls12Only,
            Fault::ClientHelloLimit { .. } => FaultKind::ClientHelloLimit,
            Fault::SingleRead { .. } => FaultKind::SingleRead,
            Fault::InContentLen { .. } => FaultKind::InContentLen,
            Fault::Alert { .. } => FaultKind::Alert,
            Fault::RequireClientCert { .. } => FaultKind::RequireClientCert,
            Fault::Stall => FaultKind::Stall,
            Fault::Drip { .. } => FaultKind::Drip,
            Fault::WrongPassphrase => FaultKind::WrongPassphrase,
            Fault::NetworkNotFound => FaultKind::NetworkNotFound,
            Fault::RebootAfterApply { .. } => FaultKind::RebootAfterApply,
            Fault::Http500 => FaultKind::Http500,
            Fault::MalformedJson => FaultKind::MalformedJson,
            Fault::SlowStatus { .. } => FaultKind::SlowStatus,
        }
    }
}

fn parse_duration(fault: &str, value: &str) -> Result<Duration, Error> {
    let bad = |message: String| Error::BadFaultValue {
        fault: fault.to_owned(),
        message,
    };
    let (number, scale) = if let Some(ms) = value.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = value.strip_suffix('s') {
        (s, 1.0)
    } else {
        (value, 1.0)
    };
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| bad(format!("`{value}` is not a duration (seconds, or `NNms`)")))?;
    if !(0.0..=86_400.0).contains(&n) {
        return Err(bad(format!(
            "`{value}` is out of range (0 to 86400 seconds)"
        )));
    }
    Ok(Duration::from_secs_f64(n * scale))
}

fn format_duration(d: Duration) -> String {
    if d.subsec_millis() != 0 || d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}", d.as_secs())
    }
}

impl FromStr for Fault {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        let (name, value) = match s.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (s, None),
        };
        let bad = |message: &str| Error::BadFaultValue {
            fault: s.to_owned(),
            message: message.to_owned(),
        };
        let no_value = |fault: Fault| match value {
            None => Ok(fault),
            Some(_) => Err(bad("takes no value")),
        };
        // `wrong-key` is a serving fault, not a profile (`certs::WRONG_KEY` is not among them).
        if certs::profile_named(name).is_ok() {
            return no_value(Fault::Certificate(name.to_owned()));
        }
        let unknown = || Error::UnknownFault {
            name: name.to_owned(),
            suggestion: nearest_name(name).map(str::to_owned),
            known: Fault::catalogue().join(", "),
        };
        match FaultKind::named(name).ok_or_else(unknown)? {
            FaultKind::WrongKey => no_value(Fault::WrongKey),
            FaultKind::Tls12Only => no_value(Fault::Tls12Only),
            FaultKind::RequireClientCert => Ok(Fault::RequireClientCert {
                refusal: match value {
                    None => ClientCertRefusal::BadCertificate,
                    Some("stock") => ClientCertRefusal::Stock,
                    Some("mbedtls") => ClientCertRefusal::Mbedtls,
                    Some(_) => {
                        return Err(bad(
                            "the values are `stock` (rustls's own alerts) and `mbedtls` (mbedTLS's: unknown_ca; none or no_certificate when missing)",
                        ))
                    }
                },
            }),
            FaultKind::Stall => no_value(Fault::Stall),
            FaultKind::WrongPassphrase => no_value(Fault::WrongPassphrase),
            FaultKind::NetworkNotFound => no_value(Fault::NetworkNotFound),
            FaultKind::Http500 => no_value(Fault::Http500),
            FaultKind::MalformedJson => no_value(Fault::MalformedJson),
            FaultKind::ClientHelloLimit => {
                let value = value.ok_or_else(|| bad("needs a size: clienthello-limit=1024"))?;
                let (size, answer) = match value.split_once(',') {
                    Some((n, a)) => (n.trim(), Some(a.trim())),
                    None => (value, None),
                };
                let max: usize = size
                    .parse()
                    .map_err(|_| bad("the size is a number of bytes (clienthello-limit=1024)"))?;
                if max < 5 {
                    return Err(bad(
                        "the size includes the 5-byte record header: at least 5",
                    ));
                }
                let answer = match answer {
                    None => LimitAnswer::Close,
                    Some("reset") => LimitAnswer::Reset,
                    Some(alert) => LimitAnswer::Alert(alert.parse().map_err(|e: String| bad(&e))?),
                };
                Ok(Fault::ClientHelloLimit { max, answer })
            }
            FaultKind::SingleRead => Ok(Fault::SingleRead {
                buffer: match value {
                    None => 16_384,
                    Some(v) => match v.parse::<usize>() {
                        Ok(n) if n >= 5 => n,
                        _ => {
                            return Err(bad(
                                "the value is the read size in bytes, at least 5 (single-read=16384)",
                            ))
                        }
                    },
                },
            }),
            FaultKind::InContentLen => {
                let value = value.ok_or_else(|| bad("needs a size: in-content-len=4096"))?;
                match value.parse::<usize>() {
                    Ok(max) if (512..=16_384).contains(&max) => Ok(Fault::InContentLen { max }),
                    _ => Err(bad(
                        "the size is MBEDTLS_SSL_IN_CONTENT_LEN, a number of bytes from 512 to 16384",
                    )),
                }
            }
            FaultKind::Alert => {
                let value = value.ok_or_else(|| bad("needs an alert: alert=bad_certificate"))?;
                let (alert, point) = match value.split_once('@') {
                    Some((a, p)) => (a, Some(p)),
                    None => (value, None),
                };
                let alert = alert.parse().map_err(|e: String| bad(&e))?;
                let point = match point {
                    None | Some("hello") => AlertPoint::Hello,
                    Some("accept") => AlertPoint::Accept,
                    Some("handshake") => AlertPoint::Handshake,
                    Some(_) => return Err(bad("the point is `accept`, `hello` or `handshake`")),
                };
                Ok(Fault::Alert { alert, point })
            }
            FaultKind::Drip => Ok(Fault::Drip {
                per_byte: match value {
                    Some(v) => parse_duration(s, v)?,
                    None => Duration::from_millis(5),
                },
            }),
            FaultKind::RebootAfterApply => Ok(Fault::RebootAfterApply {
                down: match value {
                    Some(v) => parse_duration(s, v)?,
                    None => Duration::from_secs(5),
                },
            }),
            FaultKind::SlowStatus => Ok(Fault::SlowStatus {
                delay: match value {
                    Some(v) => parse_duration(s, v)?,
                    None => Duration::from_secs(3),
                },
            }),
            FaultKind::Certificate => Err(unknown()),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::ClientHelloLimit { max, answer } => match answer {
                LimitAnswer::Close => write!(f, "clienthello-limit={max}"),
                LimitAnswer::Reset => write!(f, "clienthello-limit={max},reset"),
                LimitAnswer::Alert(a) => write!(f, "clienthello-limit={max},{a}"),
            },
            Fault::SingleRead { buffer } if *buffer == 16_384 => f.write_str("single-read"),
            Fault::SingleRead { buffer } => write!(f, "single-read={buffer}"),
            Fault::InContentLen { max } => write!(f, "in-content-len={max}"),
            Fault::Alert { alert, point } => match point {
                AlertPoint::Hello => write!(f, "alert={alert}"),
                AlertPoint::Accept => write!(f, "alert={alert}@accept"),
                AlertPoint::Handshake => write!(f, "alert={alert}@handshake"),
            },
            Fault::RequireClientCert {
                refusal: ClientCertRefusal::Stock,
            } => f.write_str("require-client-cert=stock"),
            Fault::RequireClientCert {
                refusal: ClientCertRefusal::Mbedtls,
            } => f.write_str("require-client-cert=mbedtls"),
            Fault::Drip { per_byte } => write!(f, "drip={}", format_duration(*per_byte)),
            Fault::RebootAfterApply { down } => {
                write!(f, "reboot-after-apply={}", format_duration(*down))
            }
            Fault::SlowStatus { delay } => write!(f, "slow-status={}", format_duration(*delay)),
            other => f.write_str(other.name()),
        }
    }
}

impl Serialize for Fault {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_spelling_round_trips_through_display() {
        for s in [
            "expired",
            "wrong-key",
            "tls12-only",
            "clienthello-limit=1024",
            "clienthello-limit=1024,reset",
            "clienthello-limit=1024,bad_certificate",
            "clienthello-limit=600,handshake_failure",
            "single-read",
            "single-read=1024",
            "in-content-len=4096",
            "alert=bad_certificate",
            "alert=internal_error@accept",
            "alert=bad_certificate@handshake",
            "require-client-cert",
            "require-client-cert=stock",
            "require-client-cert=mbedtls",
            "stall",
            "drip=20ms",
            "wrong-passphrase",
            "network-not-found",
            "reboot-after-apply=2",
            "http-500",
            "malformed-json",
            "slow-status=1",
        ] {
            let f: Fault = s.parse().unwrap();
            assert_eq!(f.to_string(), s);
        }
    }

    #[test]
    fn every_fault_of_the_table_is_named_by_its_row_and_listed_with_its_syntax() {
        let listed = Fault::catalogue();
        for kind in FAULT_KINDS {
            assert_eq!(FaultKind::named(kind.name()), Some(*kind));
            assert!(kind.syntax().starts_with(kind.name()), "{kind:?}");
            assert!(!kind.summary().is_empty(), "{kind:?}");
            assert!(listed.contains(&kind.syntax()), "{kind:?}");
        }
        assert_eq!(FaultKind::named("certificate"), None);
        assert_eq!(Fault::described().len(), Fault::catalogue().len());
        let wrong_key: Fault = "wrong-key".parse().unwrap();
        assert_eq!(wrong_key.kind(), FaultKind::WrongKey);
        let expired: Fault = "expired".parse().unwrap();
        assert_eq!(
            (expired.kind(), expired.name()),
            (FaultKind::Certificate, "expired")
        );
    }

    #[test]
    fn a_typo_in_a_fault_name_lists_the_catalogue() {
        let e = "expird".parse::<Fault>().unwrap_err();
        assert_eq!(e.code(), "sim.unknown_fault");
        assert!(e.to_string().contains("expired"), "{e}");
    }

    #[test]
    fn values_are_checked() {
        assert!("clienthello-limit".parse::<Fault>().is_err());
        assert!("clienthello-limit=big".parse::<Fault>().is_err());
        assert!("stall=3".parse::<Fault>().is_err());
        assert!("single-read=big".parse::<Fault>().is_err());
        assert!("single-read=4".parse::<Fault>().is_err());
        assert!("in-content-len".parse::<Fault>().is_err());
        assert!("in-content-len=100".parse::<Fault>().is_err());
        assert!("require-client-cert=strict".parse::<Fault>().is_err());
        assert_eq!(
            "require-client-cert".parse::<Fault>().unwrap(),
            Fault::RequireClientCert {
                refusal: ClientCertRefusal::BadCertificate
            }
        );
        assert!("alert=nope".parse::<Fault>().is_err());
        assert!("slow-status=-1".parse::<Fault>().is_err());
    }

    #[test]
    fn a_typo_in_a_fault_name_is_answered_with_the_nearest_name() {
        let e = "clienthelo-limit=1024"
            .parse::<Fault>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `clienthello-limit`?"), "{e}");
        let e = "expird".parse::<Fault>().unwrap_err().to_string();
        assert!(e.contains("did you mean `expired`?"), "{e}");
        let e = "completely-different"
            .parse::<Fault>()
            .unwrap_err()
            .to_string();
        assert!(!e.contains("did you mean"), "{e}");
    }
}
