//! The one shutdown signal of the binary: Ctrl-C (SIGINT) or SIGTERM.
//!
//! Commands pass [`shutdown`]'s future to library calls that serve or wait (the simulator, the
//! SoftAP, the Wi-Fi lifecycle); the libraries take a future, never a signal, so their tests can end
//! them with any future.

use std::future::Future;

use tokio::signal::unix::{signal, SignalKind};

/// A future that resolves on the first Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled: call it before announcing that the process is
/// ready (a signal sent right after the startup line is then never the default, killing one).
pub fn shutdown() -> impl Future<Output = ()> + Send + 'static {
    let int = signal(SignalKind::interrupt());
    let term = signal(SignalKind::terminate());
    async move {
        let wait = |s: std::io::Result<tokio::signal::unix::Signal>| async move {
            match s {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = wait(int) => {}
            _ = wait(term) => {}
        }
    }
}
