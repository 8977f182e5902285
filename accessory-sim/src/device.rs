//! The accessory's own Wi-Fi state: what it was told to join, and how joining went.
//!
//! `idle → configured → connecting → connected | failed`, and `reset` back to `idle`. The outcome
//! is decided honestly from the scenario: the accessory knows the networks it can see and their
//! passphrases, so a wrong passphrase fails with `auth_failed` and an unknown SSID with
//! `network_not_found`, after the scenario's connect delay. Status changes go through a
//! `watch` channel, which is what makes `GET /v1/status?wait=` a real long poll.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use protocol::api::{Reason, State, Status};

use crate::scenario::Network;

/// What `PUT /v1/network` stored. The passphrase stays in memory only and is never logged.
#[derive(Clone)]
pub(crate) struct NetworkConfig {
    pub ssid: String,
    pub passphrase: Option<String>,
}

impl std::fmt::Debug for NetworkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkConfig")
            .field("ssid", &self.ssid)
            .field("passphrase_len", &self.passphrase.as_ref().map(|p| p.len()))
            .finish()
    }
}

/// How the join outcome is forced by faults.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Forced {
    pub wrong_passphrase: bool,
    pub network_not_found: bool,
}

/// The device state, shared by every connection.
#[derive(Debug)]
pub(crate) struct Device {
    status: watch::Sender<Status>,
    config: Mutex<Option<NetworkConfig>>,
    /// Bumped by every configure/reset, so a join in flight for an older config is discarded.
    generation: AtomicU64,
    networks: Vec<Network>,
    connect_delay: Duration,
    forced: Forced,
}

impl Device {
    pub(crate) fn new(networks: Vec<Network>, connect_delay: Duration, forced: Forced) -> Self {
        Device {
            status: watch::Sender::new(Status::of(State::Idle)),
            config: Mutex::new(None),
            generation: AtomicU64::new(0),
            networks,
            connect_delay,
            forced,
        }
    }

    pub(crate) fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<Status> {
        self.status.subscribe()
    }

    /// The networks the scan shows (hidden ones are not in it).
    pub(crate) fn visible(&self) -> impl Iterator<Item = &Network> {
        self.networks.iter().filter(|n| !n.hidden)
    }

    pub(crate) fn configure(&self, config: NetworkConfig) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = Some(config);
        self.status.send_replace(Status::of(State::Configured));
    }

    pub(crate) fn reset(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.status.send_replace(Status::of(State::Idle));
    }

    /// Starts joining the stored network. `false` when nothing is stored.
    pub(crate) fn apply(self: &Arc<Self>) -> bool {
        let Some(config) = self
            .config
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        else {
            return false;
        };
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        self.status.send_replace(Status::of(State::Connecting));
        let device = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(device.connect_delay).await;
            let outcome = device.join(&config);
            if device.generation.load(Ordering::SeqCst) == generation {
                tracing::info!(ssid = %config.ssid, state = ?outcome.state, reason = ?outcome.reason, "join finished");
                device.status.send_replace(outcome);
            }
        });
        true
    }

    /// Decides the join honestly from what the accessory can see.
    fn join(&self, config: &NetworkConfig) -> Status {
        let failed = |reason| Status {
            state: State::Failed,
            reason: Some(reason),
            ip: None,
        };
        if self.forced.network_not_found {
            return failed(Reason::NetworkNotFound);
        }
        let Some(index) = self.networks.iter().position(|n| n.ssid == config.ssid) else {
            return failed(Reason::NetworkNotFound);
        };
        let network = &self.networks[index];
        if self.forced.wrong_passphrase {
            return failed(Reason::AuthFailed);
        }
        let accepted = match (&network.passphrase, &config.passphrase) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(known), Some(given)) => same_psk(&network.ssid, known, given),
        };
        if !accepted {
            return failed(Reason::AuthFailed);
        }
        Status {
            state: State::Connected,
            reason: None,
            ip: Some(format!("192.168.1.{}", 50 + index)),
        }
    }
}

/// Whether two spellings (a passphrase, or its 64 hex digits) are the same key on this network.
fn same_psk(ssid: &str, a: &str, b: &str) -> bool {
    protocol::wpa_psk(a, ssid) == protocol::wpa_psk(b, ssid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hex_psk_and_its_passphrase_are_the_same_key() {
        // IEEE 802.11i test vector: "password" on SSID "IEEE" (the derivation's own test is in
        // `protocol`; this one is the accessory's join decision).
        let hex = "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e";
        assert!(same_psk("IEEE", "password", hex));
        assert!(!same_psk("IEEE", "passwort", hex));
    }
}
