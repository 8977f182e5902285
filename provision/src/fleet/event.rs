//! What a fleet run reports as it goes: one [`FleetEvent`] per thing that happened, in order. The CLI
//! draws them as progress on a terminal, one line each on a pipe, or NDJSON (`--events`); the
//! library only emits them.

use serde::Serialize;

use crate::step::Step;

/// One thing that happened during a fleet run. Serialized with `"event": "<name>"` first.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FleetEvent {
    /// The run was planned: how many accessories, how many the ledger says are done already.
    Planned {
        /// How many accessories the inventory lists.
        total: usize,
        /// How many this run works on.
        to_do: usize,
        /// How many the ledger says were provisioned before.
        skipped: usize,
        /// How many are worked on at once.
        parallel: usize,
    },
    /// The ledger holds a successful attempt for it: not provisioned again (no `--force`).
    Skipped {
        /// The accessory's device id.
        device_id: String,
        /// The attempt that succeeded.
        attempt: i64,
    },
    /// Work on it started.
    Started {
        /// The accessory's device id.
        device_id: String,
        /// Where it is reached (`host:port`).
        address: String,
    },
    /// It joined the network.
    Succeeded {
        /// The accessory's device id.
        device_id: String,
        /// Where it is reached (`host:port`).
        address: String,
        /// Wall time spent on it, in milliseconds.
        elapsed_ms: u64,
        /// Its attempt in the ledger, when one was recorded.
        attempt: Option<i64>,
    },
    /// It did not; `code` is the diagnosis.
    Failed {
        /// The accessory's device id.
        device_id: String,
        /// Where it is reached (`host:port`).
        address: String,
        /// The diagnosis code.
        code: &'static str,
        /// The step it failed in.
        step: Step,
        /// Whether anything secret had been sent when it failed.
        credentials_sent: bool,
        /// Wall time spent on it, in milliseconds.
        elapsed_ms: u64,
        /// Its attempt in the ledger, when one was recorded.
        attempt: Option<i64>,
    },
    /// Another station holds the accessory's claim in the shared ledger: not worked on here (the
    /// other station provisions it; a later run picks it up if that station dies and its lease
    /// expires).
    Held {
        /// The accessory's device id.
        device_id: String,
        /// The station holding it.
        station: String,
    },
    /// A stop was asked for (Ctrl-C): no accessory is started after this; those in flight finish.
    Stopping {
        /// How many are still being worked on (they finish).
        in_flight: usize,
        /// How many will not be started.
        not_started: usize,
    },
}

impl FleetEvent {
    /// The device the event is about, if one.
    pub fn device_id(&self) -> Option<&str> {
        match self {
            FleetEvent::Skipped { device_id, .. }
            | FleetEvent::Started { device_id, .. }
            | FleetEvent::Succeeded { device_id, .. }
            | FleetEvent::Failed { device_id, .. }
            | FleetEvent::Held { device_id, .. } => Some(device_id),
            FleetEvent::Planned { .. } | FleetEvent::Stopping { .. } => None,
        }
    }
}

/// One line for a log or a pipe: `started SIM-0001 127.0.0.1:4001`.
impl std::fmt::Display for FleetEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FleetEvent::Planned {
                total,
                to_do,
                skipped,
                parallel,
            } => write!(
                f,
                "planned {total} accessories: {to_do} to do, {skipped} done before; {parallel} at a time"
            ),
            FleetEvent::Skipped { device_id, attempt } => {
                write!(f, "skipped {device_id}: provisioned before (attempt {attempt})")
            }
            FleetEvent::Started { device_id, address } => write!(f, "started {device_id} {address}"),
            FleetEvent::Held { device_id, station } => {
                write!(f, "held {device_id}: station {station} is provisioning it")
            }
            FleetEvent::Succeeded {
                device_id,
                elapsed_ms,
                ..
            } => write!(f, "connected {device_id} in {elapsed_ms} ms"),
            FleetEvent::Failed {
                device_id,
                code,
                step,
                elapsed_ms,
                ..
            } => write!(
                f,
                "failed {device_id} [{code}] at {step} after {elapsed_ms} ms"
            ),
            FleetEvent::Stopping {
                in_flight,
                not_started,
            } => write!(
                f,
                "stopping: finishing {in_flight} in flight, {not_started} not started"
            ),
        }
    }
}
