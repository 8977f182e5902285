//! After the handshake: does the accessory read a full-size application record?
//!
//! TLS allows records of up to 2^14 = 16,384 bytes of plaintext (RFC 8446 section 5.1, RFC 5246
//! section 6.2.1), and a phone's TLS stack fills records up to that size when the app writes that
//! much at once (iOS and Android: unverified, no primary source found; BoringSSL's and Conscrypt's
//! default maximum is the RFC's). An accessory whose stack was built with a smaller input buffer
//! (mbedTLS's `MBEDTLS_SSL_IN_CONTENT_LEN`, ESP-IDF's `CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN`, a common
//! memory saving) cannot read such a record and closes the connection without an alert (mbedTLS
//! v3.6.6 `library/ssl_msg.c` lines 2165-2168 and 4301-4306; docs/alerts.md): the handshake
//! passes, and the app's first large request fails.
//!
//! So after one pinned handshake the probe sends one record of exactly 16,384 bytes of plaintext:
//! an HTTP `GET /` with `Connection: close` and a filler header, never a credential, to a path
//! every accessory answers one way or another. Any application data back (a 404, a 431) means the
//! record was read. When it is refused, smaller records (4,096, then 1,024 bytes) tell a small
//! input buffer from an accessory that answers no request at all.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::ServerCertVerifier;
use serde::Serialize;

use crate::handshake::Handshake;
use crate::reply::Reply;
use crate::route::Route;
use crate::{ClientProfile, Error, Target};

/// The sizes tried, largest first: TLS's largest plaintext, then two a small buffer may hold.
pub const RECORD_SIZES: [usize; 3] = [16_384, 4_096, 1_024];

/// One record sent and its reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordTry {
    /// The plaintext in the record, in bytes.
    pub plaintext: usize,
    /// The record on the wire, header and protection included, in bytes (`None` when the request
    /// was not sent: the handshake failed first).
    pub wire: Option<usize>,
    /// What came back.
    pub reply: Reply,
}

/// Whether the accessory reads full-size application records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LargeRecord {
    /// The profile whose pinned handshake carried the records.
    pub profile: &'static str,
    /// Each record sent, largest first; the last is the first one read, if any was.
    pub tries: Vec<RecordTry>,
}

impl LargeRecord {
    /// True when the 16,384-byte record was read.
    pub fn reads_full_records(&self) -> bool {
        self.tries.first().is_some_and(|t| t.reply.read())
    }

    /// The largest record that was read, in bytes of plaintext.
    pub fn largest_read(&self) -> Option<usize> {
        self.tries
            .iter()
            .filter(|t| t.reply.read())
            .map(|t| t.plaintext)
            .max()
    }

    /// "yes (answered "HTTP/1.1 404 Not Found")" or "no: closed without an alert; reads 4,096".
    pub fn summary(&self) -> String {
        let Some(first) = self.tries.first() else {
            return "not checked".to_owned();
        };
        if first.reply.read() {
            return format!("yes ({})", first.reply);
        }
        let smaller = match self.largest_read() {
            Some(n) => format!("; a {n}-byte record is read"),
            None => {
                let sizes: Vec<String> = self.tries[1..]
                    .iter()
                    .map(|t| format!("{} ({})", t.plaintext, t.reply))
                    .collect();
                if sizes.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; smaller records are not answered either: {}",
                        sizes.join(", ")
                    )
                }
            }
        };
        format!("NO: {}{smaller}", first.reply)
    }
}

/// An HTTP request of exactly `size` bytes: `GET /`, no credential, padded with a filler header.
pub(crate) fn request(host: &str, size: usize) -> Vec<u8> {
    let head = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: accessory-probe (record size check)\r\n\
         Connection: close\r\nX-Probe-Fill: "
    );
    let tail = "\r\n\r\n";
    let fill = size.saturating_sub(head.len() + tail.len());
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(head.as_bytes());
    out.resize(head.len() + fill, b'x');
    out.extend_from_slice(tail.as_bytes());
    out
}

/// Sends records of [`RECORD_SIZES`] after pinned handshakes of `profile`, stopping at the first
/// one read.
pub(crate) async fn check(
    profile: &'static ClientProfile,
    verifier: Arc<dyn ServerCertVerifier>,
    target: &Target,
    route: &Route,
    timeout: Duration,
) -> Result<LargeRecord, Error> {
    let config = Arc::new(profile.client_config(verifier)?);
    let host = target.to_string();
    let mut tries = Vec::new();
    for size in RECORD_SIZES {
        let request = request(&host, size);
        let (hs, sent) = Handshake::run_sending(
            config.clone(),
            target.server_name(),
            route,
            timeout,
            Some(&request),
        )
        .await;
        let t = match sent {
            Some(sent) => RecordTry {
                plaintext: size,
                // One record when the plaintext is at most 16,384 bytes (rustls's fragment size).
                wire: sent.records.first().copied(),
                reply: sent.reply,
            },
            None => RecordTry {
                plaintext: size,
                wire: None,
                reply: Reply::Failed {
                    what: format!(
                        "the handshake did not complete ({})",
                        hs.failure
                            .as_ref()
                            .map(|f| f.to_string())
                            .unwrap_or_default()
                    ),
                },
            },
        };
        // Read, or no handshake to carry a smaller one: stop.
        let stop = t.reply.read() || t.wire.is_none();
        tries.push(t);
        if stop {
            break;
        }
    }
    Ok(LargeRecord {
        profile: profile.name,
        tries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_exactly_the_size_asked_for_and_carries_no_credential() {
        for size in RECORD_SIZES {
            let r = request("192.168.4.1:443", size);
            assert_eq!(r.len(), size);
            let text = String::from_utf8(r).unwrap();
            assert!(text.starts_with("GET / HTTP/1.1\r\n"));
            assert!(text.ends_with("\r\n\r\n"));
            assert!(!text.to_lowercase().contains("passphrase"));
        }
    }
}
