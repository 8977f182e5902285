//! `in-content-len=N`: an accessory whose TLS stack cannot read a record with more than N bytes of
//! plaintext, as mbedTLS built with a small `MBEDTLS_SSL_IN_CONTENT_LEN` (ESP-IDF's
//! `CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN`, a common memory saving) cannot.
//!
//! What mbedTLS does (v3.6.6 `library/ssl_msg.c`; v2.28.10 has the same code): the record header is
//! parsed, then `mbedtls_ssl_fetch_input(ssl, rec.buf_len)` (line 5116) refuses a record larger
//! than its input buffer (`MBEDTLS_SSL_IN_CONTENT_LEN` + `MBEDTLS_SSL_PAYLOAD_OVERHEAD`, the IV,
//! MAC and CBC padding allowance) with "requesting more data than fits", `BAD_INPUT_DATA`
//! (lines 2165-2168); a record that fits the buffer but decrypts to more than
//! `MBEDTLS_SSL_IN_CONTENT_LEN` is refused after decryption with "bad message length",
//! `INVALID_RECORD` (lines 4301-4306). Neither sends an alert: `ssl_get_next_record` sends one
//! only for a bad MAC (lines 5171-5178), and `mbedtls_ssl_read` returns the error to the
//! application, which closes the socket. So the rule is: a record whose plaintext is longer than
//! N bytes ends the connection without an alert. When the rest of the record is still unread the
//! close is a TCP reset (Linux sends RST when a socket with unread data is closed; lwIP's
//! `tcp_close_shutdown` does the same: unverified on a device).
//!
//! This reader sits under rustls and watches the client's record headers. The plaintext of a
//! protected record is its length less the cipher suite's overhead (TLS 1.3: the content type and
//! a 16-byte tag; TLS 1.2 AES-GCM: an 8-byte explicit nonce and the tag; ChaCha20-Poly1305: the
//! tag), told by the server once the handshake has chosen the suite ([`Overhead`]).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The record type of protected records (TLS 1.3) and application data (TLS 1.2).
const APPLICATION_DATA: u8 = 23;

/// The bytes a protected record adds to its plaintext, shared between the reader and the server
/// that learns the cipher suite.
#[derive(Debug, Clone)]
pub(crate) struct Overhead(Arc<AtomicUsize>);

impl Overhead {
    /// Before the suite is known: TLS 1.3's 17 bytes. Only the client's Finished is protected
    /// before the server knows, and it is small.
    pub(crate) fn new() -> Self {
        Self(Arc::new(AtomicUsize::new(17)))
    }

    /// Records the overhead of the suite the handshake agreed on.
    pub(crate) fn learn(&self, conn: &rustls::ServerConnection) {
        let Some(suite) = conn.negotiated_cipher_suite() else {
            return;
        };
        let chacha = format!("{:?}", suite.suite()).contains("CHACHA20");
        let bytes = match suite {
            rustls::SupportedCipherSuite::Tls13(_) => 1 + 16,
            rustls::SupportedCipherSuite::Tls12(_) if chacha => 16,
            rustls::SupportedCipherSuite::Tls12(_) => 8 + 16,
        };
        self.0.store(bytes, Ordering::Relaxed);
    }

    fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Fails the read (no alert, the connection closes) at the first record whose plaintext is longer
/// than `max` bytes.
#[derive(Debug)]
pub(crate) struct InContentLimit<S> {
    inner: S,
    /// `None`: no limit, bytes pass through untouched.
    max: Option<usize>,
    overhead: Overhead,
    /// The header being read (fewer than 5 bytes) when `remaining` is 0.
    header: Vec<u8>,
    /// Body bytes of the current record not yet seen.
    remaining: usize,
}

impl<S> InContentLimit<S> {
    pub(crate) fn new(inner: S, max: Option<usize>, overhead: Overhead) -> Self {
        Self {
            inner,
            max,
            overhead,
            header: Vec::with_capacity(5),
            remaining: 0,
        }
    }

    /// Walks `bytes` (the next bytes of the client's stream); the plaintext length of the first
    /// record over the limit, if one starts in them.
    fn over_limit(&mut self, mut bytes: &[u8], max: usize) -> Option<usize> {
        while !bytes.is_empty() {
            if self.remaining > 0 {
                let n = self.remaining.min(bytes.len());
                self.remaining -= n;
                bytes = &bytes[n..];
                continue;
            }
            let n = (5 - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.header.len() == 5 {
                let len = usize::from(u16::from_be_bytes([self.header[3], self.header[4]]));
                let plaintext = if self.header[0] == APPLICATION_DATA {
                    len.saturating_sub(self.overhead.get())
                } else {
                    len
                };
                self.header.clear();
                self.remaining = len;
                if plaintext > max {
                    return Some(plaintext);
                }
            }
        }
        None
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for InContentLimit<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let (Some(max), Poll::Ready(Ok(()))) = (self.max, &poll) {
            let fresh = buf.filled()[before..].to_vec();
            if let Some(plaintext) = self.over_limit(&fresh, max) {
                tracing::info!(
                    plaintext,
                    max,
                    "in-content-len: a record over the input buffer, closed without an alert \
                     (mbedTLS: INVALID_RECORD)"
                );
                return Poll::Ready(Err(io::Error::other(format!(
                    "in-content-len={max}: a record of {plaintext} bytes of plaintext"
                ))));
            }
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for InContentLimit<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u8, len: usize) -> Vec<u8> {
        let mut r = vec![kind, 3, 3];
        r.extend_from_slice(&(len as u16).to_be_bytes());
        r.extend(std::iter::repeat_n(0u8, len));
        r
    }

    #[test]
    fn a_record_one_byte_over_the_buffer_is_caught_even_when_its_header_is_split_across_reads() {
        let mut limit = InContentLimit::new((), Some(4096), Overhead::new());
        // A 4,096-byte plaintext in TLS 1.3 (17 bytes more on the wire) passes.
        let ok = record(APPLICATION_DATA, 4096 + 17);
        assert_eq!(limit.over_limit(&ok, 4096), None);
        let over = record(APPLICATION_DATA, 4097 + 17);
        assert_eq!(limit.over_limit(&over[..3], 4096), None);
        assert_eq!(limit.over_limit(&over[3..], 4096), Some(4097));
        // A plaintext handshake record is counted whole.
        let mut limit = InContentLimit::new((), Some(1024), Overhead::new());
        assert_eq!(limit.over_limit(&record(22, 1025), 1024), Some(1025));
    }
}
