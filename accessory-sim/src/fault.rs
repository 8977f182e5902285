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

/// The other faults, as `name[=value]` with their default.
const OTHER_FAULTS: &[&str] = &[
    "wrong-key",
    "tls12-only",
    "clienthello-limit=N[,reset|,ALERT]",
    "single-read[=16384]",
    "alert=NAME[@accept|@hello|@handshake]",
    "require-client-cert[=stock]",
    "stall",
    "drip[=5ms]",
    "wrong-passphrase",
    "network-not-found",
    "reboot-after-apply[=5]",
    "http-500",
    "malformed-json",
    "slow-status[=3]",
];

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
    /// header included, is answered with `answer` instead of a ServerHello.
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
            .chain(OTHER_FAULTS.iter().copied())
            .collect()
    }

    /// The canonical name, without value.
    pub fn name(&self) -> &str {
        match self {
            Fault::Certificate(p) => p,
            Fault::WrongKey => "wrong-key",
            Fault::Tls12Only => "tls12-only",
            Fault::ClientHelloLimit { .. } => "clienthello-limit",
            Fault::SingleRead { .. } => "single-read",
            Fault::Alert { .. } => "alert",
            Fault::RequireClientCert { .. } => "require-client-cert",
            Fault::Stall => "stall",
            Fault::Drip { .. } => "drip",
            Fault::WrongPassphrase => "wrong-passphrase",
            Fault::NetworkNotFound => "network-not-found",
            Fault::RebootAfterApply { .. } => "reboot-after-apply",
            Fault::Http500 => "http-500",
            Fault::MalformedJson => "malformed-json",
            Fault::SlowStatus { .. } => "slow-status",
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
        match name {
            "wrong-key" => no_value(Fault::WrongKey),
            "tls12-only" => no_value(Fault::Tls12Only),
            "require-client-cert" => Ok(Fault::RequireClientCert {
                refusal: match value {
                    None => ClientCertRefusal::BadCertificate,
                    Some("stock") => ClientCertRefusal::Stock,
                    Some(_) => {
                        return Err(bad(
                            "the only value is `stock` (rustls's own alerts instead of bad_certificate)",
                        ))
                    }
                },
            }),
            "stall" => no_value(Fault::Stall),
            "wrong-passphrase" => no_value(Fault::WrongPassphrase),
            "network-not-found" => no_value(Fault::NetworkNotFound),
            "http-500" => no_value(Fault::Http500),
            "malformed-json" => no_value(Fault::MalformedJson),
            "clienthello-limit" => {
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
                    None => LimitAnswer::Alert(Alert::BAD_CERTIFICATE),
                    Some("reset") => LimitAnswer::Reset,
                    Some(alert) => LimitAnswer::Alert(alert.parse().map_err(|e: String| bad(&e))?),
                };
                Ok(Fault::ClientHelloLimit { max, answer })
            }
            "single-read" => Ok(Fault::SingleRead {
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
            "alert" => {
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
            "drip" => Ok(Fault::Drip {
                per_byte: match value {
                    Some(v) => parse_duration(s, v)?,
                    None => Duration::from_millis(5),
                },
            }),
            "reboot-after-apply" => Ok(Fault::RebootAfterApply {
                down: match value {
                    Some(v) => parse_duration(s, v)?,
                    None => Duration::from_secs(5),
                },
            }),
            "slow-status" => Ok(Fault::SlowStatus {
                delay: match value {
                    Some(v) => parse_duration(s, v)?,
                    None => Duration::from_secs(3),
                },
            }),
            _ => Err(Error::UnknownFault {
                name: name.to_owned(),
                known: Fault::catalogue().join(", "),
            }),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::ClientHelloLimit { max, answer } => match answer {
                LimitAnswer::Reset => write!(f, "clienthello-limit={max},reset"),
                LimitAnswer::Alert(a) if *a == Alert::BAD_CERTIFICATE => {
                    write!(f, "clienthello-limit={max}")
                }
                LimitAnswer::Alert(a) => write!(f, "clienthello-limit={max},{a}"),
            },
            Fault::SingleRead { buffer } if *buffer == 16_384 => f.write_str("single-read"),
            Fault::SingleRead { buffer } => write!(f, "single-read={buffer}"),
            Fault::Alert { alert, point } => match point {
                AlertPoint::Hello => write!(f, "alert={alert}"),
                AlertPoint::Accept => write!(f, "alert={alert}@accept"),
                AlertPoint::Handshake => write!(f, "alert={alert}@handshake"),
            },
            Fault::RequireClientCert {
                refusal: ClientCertRefusal::Stock,
            } => f.write_str("require-client-cert=stock"),
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
            "clienthello-limit=600,handshake_failure",
            "single-read",
            "single-read=1024",
            "alert=bad_certificate",
            "alert=internal_error@accept",
            "alert=bad_certificate@handshake",
            "require-client-cert",
            "require-client-cert=stock",
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
}
