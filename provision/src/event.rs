//! What a run is doing now, for a person watching and for machines: long work is never silent.
//!
//! A provisioning run can take a minute (an accessory reboots after apply, a slow accessory answers
//! its long poll late). The flow tells an [`Observer`] each time it enters a phase, with the time
//! since the run started; the library never prints. The binary draws one updated line on a
//! terminal, one line per event on a pipe, or NDJSON (`--events`); a fleet run tags each event
//! with its accessory. Joining and leaving the SoftAP are phases too: the caller that joins
//! (`wifi::joined`) emits them, with the same observer, so the elapsed times share one start.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use protocol::api::State;

/// A phase of a provisioning run, in the order a run meets them (`Connecting` again after the
/// accessory dropped the session to reboot, `Waiting` once per long-poll answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// Joining the accessory's SoftAP (scan, associate, DHCP).
    Joining {
        /// The SSID asked for, or the prefix to choose by; `None` when any SoftAP will do.
        ssid: Option<String>,
    },
    /// Opening a TCP connection to the accessory (retrying while it refuses or is unreachable).
    Connecting {
        /// `HOST:PORT`.
        address: String,
        /// 0 for the first session; n for the session opened again after the nth reboot.
        reconnect: u32,
    },
    /// The TLS handshake, checked by the trust policy's verifier.
    Tls,
    /// Deciding whether the key the verifier accepted is trusted (pin, anchor, ledger record,
    /// first-use confirmation) and proving the device id the accessory reports.
    Verifying,
    /// Sending the home network (the first request that carries a credential).
    Sending,
    /// Waiting for the accessory to join the home network.
    Waiting {
        /// What the accessory last reported (`None` before its first answer).
        state: Option<State>,
    },
    /// Leaving the SoftAP and restoring the previous connection.
    Leaving,
    /// Recording the accessory and the attempt in the ledger.
    Recording,
}

impl Event {
    /// The phase's name as `--events` writes it (`waiting`).
    pub fn name(&self) -> &'static str {
        match self {
            Event::Joining { .. } => "joining",
            Event::Connecting { .. } => "connecting",
            Event::Tls => "tls",
            Event::Verifying => "verifying",
            Event::Sending => "sending",
            Event::Waiting { .. } => "waiting",
            Event::Leaving => "leaving",
            Event::Recording => "recording",
        }
    }
}

/// How the phase reads to a person: `waiting for the accessory to join (connecting)`.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Joining { ssid: Some(s) } => write!(f, "joining the SoftAP {s}"),
            Event::Joining { ssid: None } => f.write_str("joining the SoftAP"),
            Event::Connecting {
                address,
                reconnect: 0,
            } => write!(f, "connecting to {address}"),
            Event::Connecting { address, reconnect } => {
                write!(
                    f,
                    "connecting to {address} again (the accessory rebooted, {reconnect})"
                )
            }
            Event::Tls => f.write_str("TLS handshake"),
            Event::Verifying => f.write_str("verifying the accessory"),
            Event::Sending => f.write_str("sending the home network"),
            Event::Waiting { state: None } => f.write_str("waiting for the accessory to join"),
            Event::Waiting { state: Some(s) } => {
                write!(f, "waiting for the accessory to join ({s})")
            }
            Event::Leaving => f.write_str("leaving the SoftAP"),
            Event::Recording => f.write_str("recording in the ledger"),
        }
    }
}

/// An event and when it happened, as `--events` writes it: `{"event":"tls","elapsed_ms":41}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timed {
    /// The phase entered.
    #[serde(flatten)]
    pub event: Event,
    /// Milliseconds since the observer was made (the start of the run, or of the join).
    pub elapsed_ms: u64,
}

type Callback = Arc<dyn Fn(Timed) + Send + Sync>;

/// Who hears a run's [`Event`]s: a callback, an mpsc sender, or nobody. It keeps the start time,
/// so every event carries the time since the run (or the join before it) began. Cheap to clone.
#[derive(Clone)]
pub struct Observer {
    start: Instant,
    callback: Option<Callback>,
}

impl Observer {
    /// Nobody listens ([`crate::run`] uses this).
    pub fn none() -> Self {
        Self {
            start: Instant::now(),
            callback: None,
        }
    }

    /// Calls `f` for each event, on the task that runs the flow: `f` must not block.
    pub fn new(f: impl Fn(Timed) + Send + Sync + 'static) -> Self {
        Self {
            start: Instant::now(),
            callback: Some(Arc::new(f)),
        }
    }

    /// Sends each event on `tx`; a receiver that went away is ignored (the run goes on).
    pub fn channel(tx: tokio::sync::mpsc::UnboundedSender<Timed>) -> Self {
        Self::new(move |t| {
            let _ = tx.send(t);
        })
    }

    /// Tells the listener that the run entered `event` now.
    pub fn emit(&self, event: Event) {
        if let Some(f) = &self.callback {
            f(Timed {
                event,
                elapsed_ms: self.elapsed().as_millis() as u64,
            });
        }
    }

    /// The time since the observer was made.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observer")
            .field("listening", &self.callback.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_serializes_as_one_flat_ndjson_object_with_its_elapsed_time() {
        let t = Timed {
            event: Event::Waiting {
                state: Some(State::Connecting),
            },
            elapsed_ms: 6012,
        };
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"event":"waiting","state":"connecting","elapsed_ms":6012}"#
        );
        let t = Timed {
            event: Event::Tls,
            elapsed_ms: 3,
        };
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"event":"tls","elapsed_ms":3}"#
        );
    }

    #[test]
    fn a_channel_observer_delivers_events_in_order_and_survives_a_closed_receiver() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let observer = Observer::channel(tx);
        observer.emit(Event::Tls);
        observer.emit(Event::Verifying);
        assert_eq!(rx.try_recv().unwrap().event, Event::Tls);
        assert_eq!(rx.try_recv().unwrap().event, Event::Verifying);
        drop(rx);
        observer.emit(Event::Sending);
    }

    #[test]
    fn the_waiting_phase_names_the_state_the_accessory_reported() {
        let e = Event::Waiting {
            state: Some(State::Connecting),
        };
        assert_eq!(
            e.to_string(),
            "waiting for the accessory to join (connecting)"
        );
        assert_eq!(e.name(), "waiting");
    }
}
