//! The first TLS record, read before rustls sees it: how a small embedded stack with a fixed
//! receive buffer decides it cannot read a ClientHello.
//!
//! A TLS record starts with a 5-byte header: content type (22 = handshake), legacy version, and a
//! big-endian u16 length. A stack with an N-byte buffer reads the header, sees the record will not
//! fit, and gives up with an alert or a reset. The default ClientHello of a current client that
//! offers the post-quantum key share X25519MLKEM768 is about 1.5 KB; with X25519 alone about 240
//! bytes. When the record fits, it is replayed to rustls unchanged through [`Replay`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

/// The TLS record content type of a handshake message.
const HANDSHAKE: u8 = 22;

/// Reads the first record (header and body) from `stream`. A first record that is not a handshake
/// record is returned as just its header, for rustls to refuse properly.
pub(crate) async fn read_first_record<S: AsyncRead + Unpin>(stream: &mut S) -> io::Result<Vec<u8>> {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header).await?;
    let mut record = header.to_vec();
    if header[0] != HANDSHAKE {
        return Ok(record);
    }
    let len = u16::from_be_bytes([header[3], header[4]]) as usize;
    record.resize(5 + len, 0);
    stream.read_exact(&mut record[5..]).await?;
    Ok(record)
}

/// A stream that first yields bytes already read from it, then reads on.
#[derive(Debug)]
pub(crate) struct Replay<S> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> Replay<S> {
    pub(crate) fn new(prefix: Vec<u8>, inner: S) -> Self {
        Replay {
            prefix,
            pos: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.pos < self.prefix.len() {
            let n = (self.prefix.len() - self.pos).min(buf.remaining());
            let start = self.pos;
            buf.put_slice(&self.prefix[start..start + n]);
            self.pos += n;
            if self.pos == self.prefix.len() {
                self.prefix = Vec::new();
                self.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
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
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn the_first_record_is_read_whole_and_replayed_unchanged() {
        let mut wire: Vec<u8> = vec![22, 3, 1, 0, 3, 1, 2, 3, 9, 9];
        let mut reader = &wire[..];
        let record = read_first_record(&mut reader).await.unwrap();
        assert_eq!(record, &wire[..8]);
        let mut replay = Replay::new(record, reader);
        let mut all = Vec::new();
        replay.read_to_end(&mut all).await.unwrap();
        wire.truncate(10);
        assert_eq!(all, wire);
    }
}
