//! A stream that sends its bytes one at a time with a pause after each: a congested link or an
//! overloaded accessory, where every handshake flight trickles in.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Writes at most one byte per `per_byte`; a zero pause passes writes through.
#[derive(Debug)]
pub(crate) struct Drip<S> {
    inner: S,
    per_byte: Duration,
    pause: Option<Pin<Box<Sleep>>>,
}

impl<S> Drip<S> {
    pub(crate) fn new(inner: S, per_byte: Duration) -> Self {
        Drip {
            inner,
            per_byte,
            pause: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Drip<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Drip<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.per_byte.is_zero() || buf.is_empty() {
            return Pin::new(&mut self.inner).poll_write(cx, buf);
        }
        if let Some(pause) = self.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.pause = None;
        }
        let result = Pin::new(&mut self.inner).poll_write(cx, &buf[..1]);
        if let Poll::Ready(Ok(_)) = result {
            let per_byte = self.per_byte;
            self.pause = Some(Box::pin(tokio::time::sleep(per_byte)));
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
