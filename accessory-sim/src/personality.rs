//! Stack personalities: what a real embedded TLS stack does, as fault presets, each with its source.
//!
//! A fault says *that* an accessory fails; a personality says *how a named stack* fails, so the
//! answer a phone gets (an alert and which, a close, a reset) is the real stack's and not one
//! chosen to fit a field code. `accessory sim --personality mbedtls-3.6` expands to the faults in
//! [`Personality::faults`]; [`Personality::behaviours`] is the table of what the stack does in each
//! situation, from its source (docs/alerts.md, "What real stacks send"), and whether the simulator
//! reproduces it. `mbedtls-2.28=1024` sets the stack's input buffer (`MBEDTLS_SSL_IN_CONTENT_LEN`,
//! a compile-time define; default 16,384 as in mbedTLS and ESP-IDF): a ClientHello or, after the
//! handshake, an application record with more plaintext is closed without an alert
//! (`--fault in-content-len=N` alone does the second).
//!
//! The behaviours are read from the sources at the tags named (`Mbed-TLS/mbedtls` v2.28.10,
//! v3.6.0 … v3.6.6; wolfSSL issue #10791, PRs #10795 and #3017). The mbedTLS 2.28 rows marked
//! "checked" were also run against Debian's libmbedtls 2.28.3 (a 40-line C server with the stock
//! socket BIO, docs/alerts.md); the oversized-record row also against mbedTLS 2.28.10 built from
//! source with `MBEDTLS_SSL_IN_CONTENT_LEN=4096`; wolfSSL was not run.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::fault::{ClientCertRefusal, Fault, LimitAnswer};

/// The incoming buffer mbedTLS and ESP-IDF default to (`MBEDTLS_SSL_IN_CONTENT_LEN` 16384).
pub(crate) const DEFAULT_IN_CONTENT_LEN: usize = 16_384;

/// A real stack the simulator behaves like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Personality {
    /// mbedTLS 2.28 LTS as ESP-IDF v4 builds it: TLS 1.2, a ClientHello over the input buffer
    /// closed without an alert, a ClientHello split over TLS records refused without an alert.
    Mbedtls228 {
        /// `MBEDTLS_SSL_IN_CONTENT_LEN`.
        in_content_len: usize,
    },
    /// mbedTLS 3.6 as ESP-IDF v5 builds it by default (`MBEDTLS_SSL_PROTO_TLS1_3` default n: TLS
    /// 1.2 only): a ClientHello over the input buffer closed without an alert.
    Mbedtls36 {
        /// `MBEDTLS_SSL_IN_CONTENT_LEN`.
        in_content_len: usize,
    },
    /// wolfSSL up to 5.9.1 built without HAVE_MAX_FRAGMENT: a record over its limit closed
    /// without an alert.
    Wolfssl {
        /// The largest record body (MAX_RECORD_SIZE 16384).
        max_record: usize,
    },
    /// Firmware that reads the ClientHello with one `recv()` in front of its stack.
    SingleRead {
        /// The one read's size.
        buffer: usize,
    },
}

/// One situation and what the stack does in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    /// The situation.
    pub when: &'static str,
    /// What the stack sends, byte for byte where there is something to send.
    pub does: &'static str,
    /// Where that comes from.
    pub source: &'static str,
    /// Whether the simulator reproduces it (with the personality's faults, plus
    /// `--fault require-client-cert=mbedtls` for the client-certificate rows).
    pub simulated: bool,
}

const MBEDTLS_TOO_LARGE: Behaviour = Behaviour {
    when: "a ClientHello record longer than MBEDTLS_SSL_IN_CONTENT_LEN",
    does: "no alert; the handshake returns an error and the socket is closed (FIN) (checked: \
           Debian libmbedtls 2.28.3, a 17,000-byte record: -0x7900, EOF)",
    source: "mbedtls v2.28.10 library/ssl_srv.c line 1500 (BAD_HS_CLIENT_HELLO); v3.6.0 \
             library/ssl_tls12_server.c line 1008; v3.6.6 library/ssl_msg.c lines 2165-2168 \
             (\"requesting more data than fits\", BAD_INPUT_DATA)",
    simulated: true,
};
const MBEDTLS_SEGMENTS: Behaviour = Behaviour {
    when: "a ClientHello split over TCP segments",
    does: "read until the record is complete; accepted",
    source: "mbedtls v3.6.6 library/ssl_msg.c line 2302 (`while (ssl->in_left < nb_want)`)",
    simulated: true,
};
const MBEDTLS_UNTRUSTED_CLIENT: Behaviour = Behaviour {
    when: "an untrusted client certificate (VERIFY_REQUIRED)",
    does: "fatal alert unknown_ca (48): 15 03 03 00 02 02 30 (encrypted once keys exist) \
           (checked: Debian libmbedtls 2.28.3, TLS 1.2, a self-signed client certificate)",
    source: "mbedtls v3.6.6 library/ssl_tls.c lines 10021-10049 (BADCERT_NOT_TRUSTED -> \
             MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA); v2.28.10 ssl_tls.c lines 2789-2819",
    simulated: true,
};
const MBEDTLS_MISSING_CLIENT_12: Behaviour = Behaviour {
    when: "no client certificate, TLS 1.2 (VERIFY_REQUIRED)",
    does: "no alert: MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE, the socket is closed before the \
           server's Finished (checked: Debian libmbedtls 2.28.3 returns -0x7480)",
    source: "mbedtls v3.6.6 library/ssl_tls.c lines 8052-8060 (`goto exit`, nothing sent)",
    simulated: true,
};
const MBEDTLS_MISSING_CLIENT_13: Behaviour = Behaviour {
    when: "no client certificate, TLS 1.3 (VERIFY_REQUIRED)",
    does: "fatal alert no_certificate (41), encrypted, not certificate_required (116)",
    source: "mbedtls v3.6.6 library/ssl_tls13_generic.c lines 655-672 \
             (MBEDTLS_SSL_PEND_FATAL_ALERT(MBEDTLS_SSL_ALERT_MSG_NO_CERT, …))",
    simulated: true,
};
const MBEDTLS_OVERSIZED_RECORD: Behaviour = Behaviour {
    when: "a record with more than MBEDTLS_SSL_IN_CONTENT_LEN bytes of plaintext after the \
           handshake (iOS and Android send application records of up to 16,384 bytes)",
    does: "no alert: over the input buffer BAD_INPUT_DATA (\"requesting more data than fits\"), \
           else after decryption INVALID_RECORD (\"bad message length\"); the application \
           closes the socket (a reset when the rest of the record is unread) (checked: \
           mbedTLS 2.28.10 built with IN_CONTENT_LEN 4096: a 16,384-byte record -0x7100, closed, \
           no alert; a 4,096-byte record read)",
    source: "mbedtls v3.6.6 library/ssl_msg.c lines 2165-2168, 5116 and 4301-4306 (only a bad \
             MAC is answered with an alert, lines 5171-5178); v2.28.10 ssl_msg.c lines \
             1842-1845, 4538 and 3761-3765",
    simulated: true,
};

impl Personality {
    /// Every personality's spelling, for help and errors.
    pub const NAMES: &'static [&'static str] = &[
        "mbedtls-2.28[=IN_CONTENT_LEN]",
        "mbedtls-3.6[=IN_CONTENT_LEN]",
        "wolfssl[=MAX_RECORD]",
        "single-read[=BUFFER]",
    ];

    /// The faults that make the simulator behave like this stack.
    pub fn faults(self) -> Vec<Fault> {
        let close_over = |body: usize| Fault::ClientHelloLimit {
            max: body + 5,
            answer: LimitAnswer::Close,
        };
        match self {
            Personality::Mbedtls228 { in_content_len }
            | Personality::Mbedtls36 { in_content_len } => vec![
                Fault::Tls12Only,
                close_over(in_content_len),
                Fault::InContentLen {
                    max: in_content_len,
                },
            ],
            Personality::Wolfssl { max_record } => vec![close_over(max_record)],
            Personality::SingleRead { buffer } => vec![Fault::SingleRead { buffer }],
        }
    }

    /// How this stack refuses a client certificate, for `require-client-cert` with this
    /// personality (`None`: not known from a source).
    pub fn client_cert_refusal(self) -> Option<ClientCertRefusal> {
        match self {
            Personality::Mbedtls228 { .. } | Personality::Mbedtls36 { .. } => {
                Some(ClientCertRefusal::Mbedtls)
            }
            _ => None,
        }
    }

    /// What the stack does, situation by situation, with the source.
    pub fn behaviours(self) -> Vec<Behaviour> {
        match self {
            Personality::Mbedtls228 { .. } => vec![
                MBEDTLS_TOO_LARGE,
                MBEDTLS_SEGMENTS,
                Behaviour {
                    when: "a ClientHello split over two TLS records",
                    does: "no alert; BAD_HS_CLIENT_HELLO, the socket is closed",
                    source: "mbedtls v2.28.10 library/ssl_srv.c line 1554 (\"We don't support \
                             fragmentation of ClientHello (yet?)\")",
                    simulated: false,
                },
                MBEDTLS_UNTRUSTED_CLIENT,
                MBEDTLS_MISSING_CLIENT_12,
                MBEDTLS_OVERSIZED_RECORD,
            ],
            Personality::Mbedtls36 { .. } => vec![
                MBEDTLS_TOO_LARGE,
                MBEDTLS_SEGMENTS,
                Behaviour {
                    when: "a ClientHello split over two TLS records",
                    does: "3.6.0-3.6.2: no alert, DECODE_ERROR, closed; 3.6.3+: reassembled \
                           (TLS 1.2 without TLS 1.3 support from 3.6.6)",
                    source: "mbedtls v3.6.0 library/ssl_tls12_server.c line 1071; ChangeLog 3.6.3 \
                             and 3.6.6 sections",
                    simulated: false,
                },
                MBEDTLS_UNTRUSTED_CLIENT,
                MBEDTLS_MISSING_CLIENT_12,
                MBEDTLS_MISSING_CLIENT_13,
                MBEDTLS_OVERSIZED_RECORD,
            ],
            Personality::Wolfssl { .. } => vec![
                Behaviour {
                    when: "a record longer than 2^14 bytes",
                    does: "up to 5.9.1 without HAVE_MAX_FRAGMENT: no alert, closed; after PR \
                           #10795: fatal record_overflow (22)",
                    source: "wolfSSL/wolfssl issue #10791, PR #10795 (src/internal.c \
                             DoProcessReplyEx, LENGTH_ERROR)",
                    simulated: true,
                },
                Behaviour {
                    when: "an untrusted peer certificate",
                    does: "fatal alert unknown_ca (48)",
                    source: "wolfSSL/wolfssl PR #3017 (ASN_NO_SIGNER_E -> unknown_ca)",
                    simulated: false,
                },
                Behaviour {
                    when: "no client certificate",
                    does: "unverified",
                    source: "none found",
                    simulated: false,
                },
            ],
            Personality::SingleRead { .. } => vec![Behaviour {
                when: "a ClientHello split over TCP segments",
                does: "the one recv() holds part of the record: TCP reset",
                source: "the class of bug: tldr.fail; mholt/caddy-l4#346; golang/go#70047 (no \
                         accessory field report found: unverified for accessories)",
                simulated: true,
            }],
        }
    }
}

impl FromStr for Personality {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (name, value) = match s.trim().split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (s.trim(), None),
        };
        let size = |default: usize| -> Result<usize, String> {
            match value {
                None => Ok(default),
                Some(v) => match v.trim().parse::<usize>() {
                    Ok(n) if (512..=DEFAULT_IN_CONTENT_LEN).contains(&n) => Ok(n),
                    _ => Err(format!(
                        "personality {s}: the size is a number of bytes from 512 to 16384"
                    )),
                },
            }
        };
        Ok(match name {
            "mbedtls-2.28" => Personality::Mbedtls228 {
                in_content_len: size(DEFAULT_IN_CONTENT_LEN)?,
            },
            "mbedtls-3.6" => Personality::Mbedtls36 {
                in_content_len: size(DEFAULT_IN_CONTENT_LEN)?,
            },
            "wolfssl" => Personality::Wolfssl {
                max_record: size(DEFAULT_IN_CONTENT_LEN)?,
            },
            "single-read" => Personality::SingleRead {
                buffer: size(DEFAULT_IN_CONTENT_LEN)?,
            },
            _ => {
                return Err(format!(
                    "unknown personality `{name}`: expected one of {}",
                    Personality::NAMES.join(", ")
                ))
            }
        })
    }
}

impl fmt::Display for Personality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, n) = match *self {
            Personality::Mbedtls228 { in_content_len } => ("mbedtls-2.28", in_content_len),
            Personality::Mbedtls36 { in_content_len } => ("mbedtls-3.6", in_content_len),
            Personality::Wolfssl { max_record } => ("wolfssl", max_record),
            Personality::SingleRead { buffer } => ("single-read", buffer),
        };
        if n == DEFAULT_IN_CONTENT_LEN {
            f.write_str(name)
        } else {
            write!(f, "{name}={n}")
        }
    }
}

/// mbedTLS's answer to a client certificate rustls refused (`require-client-cert=mbedtls`, through
/// `client_auth::StackClientVerifier::mbedtls`): an untrusted certificate as mbedTLS does
/// (`unknown_ca`); a missing certificate is not refused during the handshake: the server answers it
/// afterwards as mbedTLS does (TLS 1.2: close, no alert; TLS 1.3: `no_certificate`).
pub(crate) fn mbedtls_refusal(e: rustls::Error) -> rustls::Error {
    match e {
        rustls::Error::InvalidCertificate(c) => {
            rustls::Error::InvalidCertificate(mbedtls_choice(c))
        }
        other => other,
    }
}

/// The refusal whose alert is the one mbedTLS picks (`mbedtls_ssl_verify_certificate`, v3.6.6
/// `ssl_tls.c` lines 10021-10049: key usage/EKU 43, expired 45, revoked 44, not trusted 48, else
/// 46), as rustls maps errors to alerts. A bad signature and an unknown issuer are both "not
/// trusted" in mbedTLS (Mbed-TLS/mbedtls#10893): 48. A self-signed CA:TRUE client certificate,
/// which rustls calls CaUsedAsEndEntity, is not trusted either: 48 (checked against Debian's
/// libmbedtls 2.28.3 with `openssl s_client -cert`).
fn mbedtls_choice(e: rustls::CertificateError) -> rustls::CertificateError {
    use rustls::CertificateError as C;
    match e {
        C::Expired | C::ExpiredContext { .. } => C::Expired,
        C::Revoked => C::Revoked,
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => C::InvalidPurpose,
        C::NotValidYet | C::NotValidYetContext { .. } => C::Other(rustls::OtherError(Arc::new(
            std::io::Error::other("not yet valid: mbedTLS answers certificate_unknown"),
        ))),
        _ => C::UnknownIssuer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personalities_parse_round_trip_and_expand_to_their_faults() {
        for s in [
            "mbedtls-2.28",
            "mbedtls-3.6=1024",
            "wolfssl",
            "single-read=4096",
        ] {
            let p: Personality = s.parse().unwrap();
            assert_eq!(p.to_string(), s);
        }
        let p: Personality = "mbedtls-3.6=1024".parse().unwrap();
        assert_eq!(
            p.faults(),
            [
                Fault::Tls12Only,
                Fault::ClientHelloLimit {
                    max: 1029,
                    answer: LimitAnswer::Close
                },
                Fault::InContentLen { max: 1024 }
            ]
        );
        assert!("mbedtls-9".parse::<Personality>().is_err());
        assert!("mbedtls-3.6=100".parse::<Personality>().is_err());
    }

    #[test]
    fn every_behaviour_has_a_source_and_mbedtls_never_answers_a_large_hello_with_an_alert() {
        for name in ["mbedtls-2.28", "mbedtls-3.6", "wolfssl", "single-read"] {
            let p: Personality = name.parse().unwrap();
            for b in p.behaviours() {
                assert!(!b.source.is_empty(), "{name}: {}", b.when);
            }
        }
        let p: Personality = "mbedtls-2.28".parse().unwrap();
        assert!(p.behaviours()[0].does.starts_with("no alert"));
    }
}

/// mbedTLS's TLS 1.2 server answers a client that sends an empty Certificate (no client
/// certificate, VERIFY_REQUIRED) by returning MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE from the
/// handshake: no alert, the socket closed, *before* its ChangeCipherSpec and Finished (checked
/// against Debian's libmbedtls 2.28.3: `-0x7480`, the client's handshake never completes). rustls
/// would finish first, so this reader watches the client's plaintext flight for an empty TLS 1.2
/// Certificate message (`16 03 03 ?? ?? 0b 00 00 03 00 00 00`) and fails the read there: the
/// handshake ends with an I/O error, for which rustls sends nothing, and the server closes.
#[derive(Debug)]
pub(crate) struct NoCertTripwire<S> {
    inner: S,
    armed: bool,
    /// The last bytes read, to find the pattern across reads.
    tail: Vec<u8>,
}

/// A TLS 1.2 handshake record whose first message is a Certificate with an empty list.
const EMPTY_CERTIFICATE: [Option<u8>; 12] = [
    Some(0x16),
    Some(0x03),
    Some(0x03),
    None,
    None,
    Some(0x0b),
    Some(0x00),
    Some(0x00),
    Some(0x03),
    Some(0x00),
    Some(0x00),
    Some(0x00),
];

impl<S> NoCertTripwire<S> {
    pub(crate) fn new(inner: S, armed: bool) -> Self {
        Self {
            inner,
            armed,
            tail: Vec::new(),
        }
    }
}

fn has_empty_certificate(bytes: &[u8]) -> bool {
    bytes.windows(EMPTY_CERTIFICATE.len()).any(|w| {
        w.iter()
            .zip(EMPTY_CERTIFICATE)
            .all(|(b, p)| p.is_none_or(|p| p == *b))
    })
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for NoCertTripwire<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if self.armed {
            if let std::task::Poll::Ready(Ok(())) = &poll {
                let mut seen = std::mem::take(&mut self.tail);
                seen.extend_from_slice(&buf.filled()[before..]);
                if has_empty_certificate(&seen) {
                    self.armed = false;
                    tracing::info!(
                        "no client certificate: closed before Finished (mbedTLS, TLS 1.2)"
                    );
                    return std::task::Poll::Ready(Err(std::io::Error::other(
                        "mbedTLS personality: no client certificate (MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE)",
                    )));
                }
                let keep = seen.len().saturating_sub(EMPTY_CERTIFICATE.len() - 1);
                self.tail = seen.split_off(keep);
            }
        }
        poll
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for NoCertTripwire<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
