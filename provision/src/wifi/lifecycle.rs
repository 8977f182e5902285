//! Join -> run -> leave: the whole life of a provisioning run over the accessory's SoftAP.
//!
//! [`joined`] joins (on a blocking thread: the backends are synchronous), runs the caller's work
//! with the [`Joined`] network, and always leaves and restores the previous connection afterwards:
//! on success, on failure, and when the `shutdown` future resolves first (the binary passes its
//! Ctrl-C/SIGTERM future; a test passes any future). An interrupt is a typed error,
//! [`LifecycleError::Interrupted`], returned after the clean-up. What happens along the way is
//! reported through [`JoinEvent`]s, for the caller to print.

use std::fmt;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::{backend, join, leave, BackendKind, Joined, Wanted, WifiBackend, WifiError};
use crate::Secret;

/// Makes the backend, on the blocking thread that joins.
type MakeBackend = Box<dyn FnOnce() -> Result<Box<dyn WifiBackend>, WifiError> + Send>;

/// What to join, and with what.
pub struct JoinPlan {
    make: MakeBackend,
    /// The SoftAP to look for; `None` when the station is already on it (the `none` backend).
    pub wanted: Option<Wanted>,
    /// Chooses among several SoftAPs matching a prefix.
    pub device_id: Option<String>,
    /// The SoftAP's own passphrase (from the accessory's label), for a secured SoftAP.
    pub passphrase: Option<Secret>,
    /// How long joining may take, scan to address.
    pub timeout: Duration,
}

impl JoinPlan {
    /// A plan for the backend `kind` (on `interface`, or the backend's choice).
    pub fn new(kind: BackendKind, interface: Option<String>, timeout: Duration) -> Self {
        Self::with_backend(move || backend(kind, interface.as_deref()), timeout)
    }

    /// A plan with a backend made by `make` (another backend, or one a test wraps).
    pub fn with_backend(
        make: impl FnOnce() -> Result<Box<dyn WifiBackend>, WifiError> + Send + 'static,
        timeout: Duration,
    ) -> Self {
        Self {
            make: Box::new(make),
            wanted: None,
            device_id: None,
            passphrase: None,
            timeout,
        }
    }
}

impl fmt::Debug for JoinPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinPlan")
            .field("wanted", &self.wanted)
            .field("device_id", &self.device_id)
            .field("passphrase", &self.passphrase)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Where the lifecycle was when the shutdown future resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Joining: the join was allowed to finish (it is bounded by the plan's timeout), then left.
    Joining,
    /// Running the caller's work, which was dropped, then the SoftAP left.
    Running,
}

/// What happened, for the caller to tell the user.
#[derive(Debug)]
#[non_exhaustive]
pub enum JoinEvent<'a> {
    /// Joined, with an address.
    Joined(&'a Joined),
    /// The shutdown future resolved; leaving follows.
    Interrupted(Phase),
    /// Leaving or restoring failed; the outcome of the run is unchanged.
    LeaveFailed(&'a WifiError),
    /// Left the SoftAP and restored the previous connection.
    Left,
}

/// Why a joined run did not produce the work's result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// Joining failed (after its own clean-up).
    #[error(transparent)]
    Join(WifiError),
    /// Interrupted; the SoftAP (if joined) was left and the previous connection restored.
    #[error("{}", match .0 {
        Phase::Joining => "interrupted while joining the SoftAP; the previous connection was restored",
        Phase::Running => "interrupted; the SoftAP was left and the previous connection restored",
    })]
    Interrupted(Phase),
    /// The blocking join task panicked or was cancelled (a bug).
    #[error("the join task failed: {0}")]
    Task(String),
}

impl LifecycleError {
    /// The stable code: the join's own (`wifi.*`), `interrupted`, or `internal`.
    pub fn code(&self) -> &'static str {
        match self {
            LifecycleError::Join(e) => e.code(),
            LifecycleError::Interrupted(_) => trust::diagnosis::codes::INTERRUPTED,
            LifecycleError::Task(_) => trust::diagnosis::codes::INTERNAL,
        }
    }

    /// What a caller does about it: the join's kind, [`trust::ErrorKind::Interrupted`] for an
    /// interrupt (after the clean-up), a bug for a failed task.
    pub fn kind(&self) -> trust::ErrorKind {
        match self {
            LifecycleError::Join(e) => e.kind(),
            LifecycleError::Interrupted(_) => trust::ErrorKind::Interrupted,
            LifecycleError::Task(_) => trust::ErrorKind::Internal,
        }
    }
}

impl Joined {
    /// Where the accessory is: the lease's router (192.168.4.1 when the lease names none), on the
    /// accessory API's port.
    pub fn accessory_addr(&self) -> SocketAddr {
        let router = self.lease.router.unwrap_or(Ipv4Addr::new(192, 168, 4, 1));
        SocketAddr::from((router, crate::DEFAULT_PORT))
    }
}

/// Joins as `plan` says, runs `work` with the joined network, then leaves and restores, whatever
/// happened; `shutdown` resolving first interrupts (see [`Phase`]). `events` hears each step.
pub async fn joined<T, F, Fut>(
    plan: JoinPlan,
    shutdown: impl Future<Output = ()>,
    mut events: impl FnMut(JoinEvent<'_>),
    work: F,
) -> Result<T, LifecycleError>
where
    F: FnOnce(&Joined) -> Fut,
    Fut: Future<Output = T>,
{
    tokio::pin!(shutdown);
    let JoinPlan {
        make,
        wanted,
        device_id,
        passphrase,
        timeout,
    } = plan;
    let task = tokio::task::spawn_blocking(move || {
        let mut backend = make()?;
        let joined = join(
            backend.as_mut(),
            wanted.as_ref(),
            device_id.as_deref(),
            passphrase.as_ref().map(Secret::expose),
            timeout,
        )?;
        Ok::<_, WifiError>(Association { backend, joined })
    });
    tokio::pin!(task);
    let session = tokio::select! {
        r = &mut task => match r {
            Ok(Ok(session)) => session,
            Ok(Err(e)) => return Err(LifecycleError::Join(e)),
            Err(e) => return Err(LifecycleError::Task(e.to_string())),
        },
        () = &mut shutdown => {
            events(JoinEvent::Interrupted(Phase::Joining));
            if let Ok(Ok(session)) = task.await {
                session.leave(&mut events).await;
            }
            return Err(LifecycleError::Interrupted(Phase::Joining));
        }
    };
    events(JoinEvent::Joined(&session.joined));
    let result = tokio::select! {
        r = work(&session.joined) => Ok(r),
        () = &mut shutdown => {
            events(JoinEvent::Interrupted(Phase::Running));
            Err(LifecycleError::Interrupted(Phase::Running))
        }
    };
    session.leave(&mut events).await;
    result
}

/// A joined SoftAP and the backend that joined it.
struct Association {
    backend: Box<dyn WifiBackend>,
    joined: Joined,
}

impl Association {
    /// Leaves and restores, on a blocking thread; a failure is an event, not an error.
    async fn leave(mut self, events: &mut impl FnMut(JoinEvent<'_>)) {
        let result = tokio::task::spawn_blocking(move || leave(self.backend.as_mut()))
            .await
            .unwrap_or_else(|e| {
                Err(WifiError::Backend {
                    backend: "leave",
                    message: e.to_string(),
                })
            });
        match result {
            Ok(()) => events(JoinEvent::Left),
            Err(e) => events(JoinEvent::LeaveFailed(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::super::{Lease, NoneBackend, ScanResult};
    use super::*;

    /// The real `none` backend on the loopback interface, counting the leaves and restores.
    struct Counted {
        inner: NoneBackend,
        left: Arc<AtomicUsize>,
        restored: Arc<AtomicUsize>,
        join_delay: Duration,
    }

    impl WifiBackend for Counted {
        fn name(&self) -> &'static str {
            "counted-none"
        }
        fn scan(&mut self) -> Result<Vec<ScanResult>, WifiError> {
            self.inner.scan()
        }
        fn join(&mut self, n: &ScanResult, p: Option<&str>) -> Result<(), WifiError> {
            self.inner.join(n, p)
        }
        fn address(&mut self, timeout: Duration) -> Result<Lease, WifiError> {
            std::thread::sleep(self.join_delay);
            self.inner.address(timeout)
        }
        fn leave(&mut self) -> Result<(), WifiError> {
            self.left.fetch_add(1, Ordering::SeqCst);
            self.inner.leave()
        }
        fn restore(&mut self) -> Result<(), WifiError> {
            self.restored.fetch_add(1, Ordering::SeqCst);
            self.inner.restore()
        }
    }

    struct Counts {
        left: Arc<AtomicUsize>,
        restored: Arc<AtomicUsize>,
    }

    fn plan(interface: &str, join_delay: Duration) -> (JoinPlan, Counts) {
        let left = Arc::new(AtomicUsize::new(0));
        let restored = Arc::new(AtomicUsize::new(0));
        let counts = Counts {
            left: left.clone(),
            restored: restored.clone(),
        };
        let interface = interface.to_owned();
        let plan = JoinPlan::with_backend(
            move || {
                Ok(Box::new(Counted {
                    inner: NoneBackend::new(Some(interface)),
                    left,
                    restored,
                    join_delay,
                }) as Box<dyn WifiBackend>)
            },
            Duration::from_secs(5),
        );
        (plan, counts)
    }

    impl Counts {
        #[track_caller]
        fn assert_left_once(&self) {
            assert_eq!(self.left.load(Ordering::SeqCst), 1, "leaves");
            assert_eq!(self.restored.load(Ordering::SeqCst), 1, "restores");
        }
    }

    #[tokio::test]
    async fn the_work_runs_on_the_joined_interface_and_the_softap_is_left_afterwards() {
        let (plan, counts) = plan("lo", Duration::ZERO);
        let mut seen = Vec::new();
        let out = joined(
            plan,
            std::future::pending(),
            |e| seen.push(format!("{e:?}").split('(').next().unwrap().to_owned()),
            |j| {
                let interface = j.lease.interface.clone();
                async move { interface }
            },
        )
        .await
        .unwrap();
        assert_eq!(out, "lo");
        assert_eq!(seen, ["Joined", "Left"]);
        counts.assert_left_once();
    }

    #[tokio::test]
    async fn a_shutdown_while_the_work_runs_drops_it_leaves_and_is_an_interrupted_error() {
        let (plan, counts) = plan("lo", Duration::ZERO);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut interrupted = None;
        let err = joined(
            plan,
            async move {
                let _ = rx.await;
            },
            |e| {
                if let JoinEvent::Interrupted(p) = e {
                    interrupted = Some(p);
                }
            },
            |_| async move {
                let _ = tx.send(());
                std::future::pending::<()>().await
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(err, LifecycleError::Interrupted(Phase::Running)));
        assert_eq!(
            err.to_string(),
            "interrupted; the SoftAP was left and the previous connection restored"
        );
        assert_eq!(interrupted, Some(Phase::Running));
        counts.assert_left_once();
    }

    #[tokio::test]
    async fn a_shutdown_while_joining_lets_the_join_finish_then_leaves_without_running_the_work() {
        let (plan, counts) = plan("lo", Duration::from_millis(300));
        let err = joined(
            plan,
            async {},
            |_| {},
            |_| async { panic!("the work ran after an interrupt") },
        )
        .await
        .unwrap_err();
        assert!(matches!(err, LifecycleError::Interrupted(Phase::Joining)));
        counts.assert_left_once();
    }

    #[tokio::test]
    async fn a_failed_join_is_its_wifi_error_and_the_work_never_runs() {
        let (plan, counts) = plan("no-such-interface0", Duration::ZERO);
        let err = joined(
            plan,
            std::future::pending(),
            |_| {},
            |_| async { panic!("the work ran without a network") },
        )
        .await
        .unwrap_err();
        let LifecycleError::Join(e) = err else {
            panic!("expected a join error, got {err:?}");
        };
        assert_eq!(e.code(), "wifi.interface");
        // `join` cleans up after its own failure.
        counts.assert_left_once();
    }
}
