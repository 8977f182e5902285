//! What a fleet run reports as it goes: one [`Event`] per thing that happened, in order. The CLI
//! draws them as progress on a terminal, one line each on a pipe, or NDJSON (`--events`); the
//! library only emits them.

use serde::Serialize;

use crate::step::Step;

/// One thing that happened during a fleet run. Serialized with `"event": "<name>"` first.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// The run was planned: how many accessories, how many the ledger says are done already.
    Planned {
        total: usize,
        to_do: usize,
        skipped: usize,
        parallel: usize,
    },
    /// The ledger holds a successful attempt for it: not provisioned again (no `--force`).
    Skipped {
        device_id: String,
        /// The attempt that succeeded.
        attempt: i64,
    },
    /// Work on it started.
    Started { device_id: String, address: String },
    /// It joined the network.
    Succeeded {
        device_id: String,
        address: String,
        elapsed_ms: u64,
        attempt: Option<i64>,
    },
    /// It did not; `code` is the diagnosis.
    Failed {
        device_id: String,
        address: String,
        code: &'static str,
        step: Step,
        credentials_sent: bool,
        elapsed_ms: u64,
        attempt: Option<i64>,
    },
    /// A stop was asked for (Ctrl-C): no accessory is started after this; those in flight finish.
    Stopping {
        in_flight: usize,
        not_started: usize,
    },
}

impl Event {
    /// The device the event is about, if one.
    pub fn device_id(&self) -> Option<&str> {
        match self {
            Event::Skipped { device_id, .. }
            | Event::Started { device_id, .. }
            | Event::Succeeded { device_id, .. }
            | Event::Failed { device_id, .. } => Some(device_id),
            Event::Planned { .. } | Event::Stopping { .. } => None,
        }
    }
}

/// One line for a log or a pipe: `started SIM-0001 127.0.0.1:4001`.
impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Planned {
                total,
                to_do,
                skipped,
                parallel,
            } => write!(
                f,
                "planned {total} accessories: {to_do} to do, {skipped} done before; {parallel} at a time"
            ),
            Event::Skipped { device_id, attempt } => {
                write!(f, "skipped {device_id}: provisioned before (attempt {attempt})")
            }
            Event::Started { device_id, address } => write!(f, "started {device_id} {address}"),
            Event::Succeeded {
                device_id,
                elapsed_ms,
                ..
            } => write!(f, "connected {device_id} in {elapsed_ms} ms"),
            Event::Failed {
                device_id,
                code,
                step,
                elapsed_ms,
                ..
            } => write!(
                f,
                "failed {device_id} [{code}] at {step} after {elapsed_ms} ms"
            ),
            Event::Stopping {
                in_flight,
                not_started,
            } => write!(
                f,
                "stopping: finishing {in_flight} in flight, {not_started} not started"
            ),
        }
    }
}
