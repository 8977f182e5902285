//! The one shutdown signal of the binary: Ctrl-C (SIGINT) or SIGTERM.
//!
//! Commands pass [`shutdown`]'s future (or [`Shutdown::wait`]'s, when more than one part of the
//! work must hear the same signal) to library calls that serve or wait (the simulator, the SoftAP,
//! the Wi-Fi lifecycle, a provisioning run); the libraries take a future, never a signal, so their
//! tests can end them with any future. Which signal arrived is remembered: an interrupted command
//! exits 130 after SIGINT and 143 after SIGTERM (128 + the signal's number, as shells report a
//! process the signal killed), after its clean-up (README.md "Exit status").

use std::future::Future;
use std::sync::atomic::{AtomicI32, Ordering};

use tokio::signal::unix::{signal, SignalKind};

/// The first shutdown signal received (0: none yet).
static RECEIVED: AtomicI32 = AtomicI32::new(0);
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// Whether the signal that interrupted the command was SIGTERM (exit status 143, not 130).
pub fn terminated() -> bool {
    RECEIVED.load(Ordering::SeqCst) == SIGTERM
}

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
        let number = tokio::select! {
            _ = wait(int) => SIGINT,
            _ = wait(term) => SIGTERM,
        };
        let _ = RECEIVED.compare_exchange(0, number, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// One shutdown signal that several futures wait on (the Wi-Fi lifecycle and the provisioning run
/// inside it). The handlers are installed by [`Shutdown::install`].
#[derive(Clone)]
pub struct Shutdown(tokio::sync::watch::Receiver<bool>);

impl Shutdown {
    /// Installs the handlers now; a task marks the signal when it arrives. Needs a runtime.
    pub fn install() -> Self {
        let signalled = shutdown();
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            signalled.await;
            let _ = tx.send(true);
            // Keep the sender: a dropped sender would wake every waiter as if signalled.
            std::future::pending::<()>().await;
        });
        Self(rx)
    }

    /// A future that resolves once the signal arrived (at once if it already did).
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.0.clone();
        async move {
            if rx.wait_for(|s| *s).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
