//! How many connections the simulator holds, and which go first when it is full.
//!
//! Issue 12 found that 1,100 idle TCP connections under a 1,024-descriptor limit blocked every new
//! client for up to 60 s, while "accept failed: Too many open files" was logged hundreds of times.
//! Three rules now:
//!
//! - [`raise_descriptor_limit`]: the soft `RLIMIT_NOFILE` is raised to the hard one at start;
//! - [`Admission`]: at most `max` connections at once (`--max-connections`, default
//!   [`default_max_connections`], from the descriptor limit). When a new connection arrives at the
//!   cap, or `accept` fails for want of descriptors, the oldest connection that has not yet sent
//!   its first request (an idle socket, a slowloris, a stalled handshake) is shed; when every held
//!   connection has been served a request, the newcomer is closed instead;
//! - [`RepeatedLog`]: a repeated warning is logged at most once a second, with a count.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Descriptors kept for the listener, logs, files and the runtime, beyond the connections.
const RESERVED_DESCRIPTORS: u64 = 64;
/// The default cap never goes above this, whatever the limit.
const MAX_DEFAULT: u64 = 4096;

/// Raises the soft descriptor limit to the hard one; returns the soft limit now in force.
pub fn raise_descriptor_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => limit = getrlimit(Resource::Nofile),
            Err(e) => tracing::warn!("cannot raise the descriptor limit: {e}"),
        }
    }
    limit.current.unwrap_or(u64::MAX)
}

/// The default connection cap: what the soft descriptor limit leaves after a reserve, at least 16
/// and at most 4,096.
pub fn default_max_connections() -> usize {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    soft.saturating_sub(RESERVED_DESCRIPTORS)
        .clamp(16, MAX_DEFAULT) as usize
}

#[derive(Debug)]
struct Held {
    served: Arc<AtomicBool>,
    shed: Arc<Notify>,
}

/// The connections held by one accessory.
#[derive(Debug)]
pub(crate) struct Admission {
    max: usize,
    held: Mutex<(u64, BTreeMap<u64, Held>)>,
}

/// One admitted connection: mark it [`Ticket::served`] after its first request; await
/// [`Ticket::shed`] to learn it must go. Dropping it frees its place.
#[derive(Debug)]
pub(crate) struct Ticket {
    id: u64,
    served: Arc<AtomicBool>,
    shed: Arc<Notify>,
    admission: Arc<Admission>,
}

impl Admission {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max: max.max(1),
            held: Mutex::new((0, BTreeMap::new())),
        })
    }

    /// Admits a new connection, shedding the oldest unserved one if at the cap; `None` when full
    /// of served connections.
    pub(crate) fn admit(self: &Arc<Self>) -> Option<Ticket> {
        let mut guard = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let (next, held) = &mut *guard;
        if held.len() >= self.max && !shed_oldest_unserved(held) {
            return None;
        }
        let id = *next;
        *next += 1;
        let (served, shed) = (Arc::new(AtomicBool::new(false)), Arc::new(Notify::new()));
        held.insert(
            id,
            Held {
                served: Arc::clone(&served),
                shed: Arc::clone(&shed),
            },
        );
        Some(Ticket {
            id,
            served,
            shed,
            admission: Arc::clone(self),
        })
    }

    /// Sheds the oldest unserved connection (accept failed for want of descriptors); whether one
    /// was.
    pub(crate) fn shed_one(&self) -> bool {
        let mut guard = self.held.lock().unwrap_or_else(|p| p.into_inner());
        shed_oldest_unserved(&mut guard.1)
    }

    /// How many connections are held now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).1.len()
    }
}

fn shed_oldest_unserved(held: &mut BTreeMap<u64, Held>) -> bool {
    let oldest = held
        .iter()
        .find(|(_, h)| !h.served.load(Ordering::Relaxed))
        .map(|(id, _)| *id);
    match oldest.and_then(|id| held.remove(&id)) {
        Some(h) => {
            h.shed.notify_one();
            true
        }
        None => false,
    }
}

impl Ticket {
    /// A flag the connection sets once its first request is read.
    pub(crate) fn served_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.served)
    }

    /// Resolves when the connection is shed.
    pub(crate) async fn shed(&self) {
        self.shed.notified().await
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut guard = self
            .admission
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        guard.1.remove(&self.id);
    }
}

/// A warning that may repeat fast (every failed `accept`): logged at most once per second, with
/// how many were suppressed since.
#[derive(Debug)]
pub(crate) struct RepeatedLog {
    last: Option<Instant>,
    suppressed: u64,
}

impl RepeatedLog {
    pub(crate) fn new() -> Self {
        Self {
            last: None,
            suppressed: 0,
        }
    }

    /// `Some(count)` when the line should be logged now (with `count` repeats suppressed since the
    /// last one), `None` when it is suppressed.
    pub(crate) fn tick(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(last) if now.duration_since(last) < Duration::from_secs(1) => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_oldest_unserved_connection_is_shed_and_served_ones_are_kept() {
        let a = Admission::new(2);
        let first = a.admit().unwrap();
        let second = a.admit().unwrap();
        first.served_flag().store(true, Ordering::Relaxed);
        // Full: the second (unserved) goes, the first (served) stays.
        let third = a.admit().unwrap();
        assert_eq!(a.len(), 2);
        let shed = second.shed.clone();
        assert!(tokio_test_notified(&shed));
        third.served_flag().store(true, Ordering::Relaxed);
        // Full of served connections: the newcomer is refused.
        assert!(a.admit().is_none());
        drop(first);
        assert!(a.admit().is_some());
    }

    /// Whether a `notify_one` permit is waiting.
    fn tokio_test_notified(n: &Notify) -> bool {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(Duration::from_millis(50), n.notified())
                .await
                .is_ok()
        })
    }

    #[test]
    fn a_repeated_warning_is_logged_once_a_second_with_the_count() {
        let mut log = RepeatedLog::new();
        let t = Instant::now();
        assert_eq!(log.tick(t), Some(0));
        for i in 1..=500 {
            assert_eq!(log.tick(t + Duration::from_millis(i)), None);
        }
        assert_eq!(log.tick(t + Duration::from_millis(1001)), Some(500));
    }

    #[test]
    fn the_soft_descriptor_limit_is_raised_to_the_hard_one() {
        let soft = raise_descriptor_limit();
        let now = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        assert_eq!(Some(soft), now.current);
        assert_eq!(now.current, now.maximum);
        assert!(default_max_connections() >= 16);
    }
}
