//! The steps of the exchange as types: [`Connected`] (TLS up, the verifier accepted the peer under
//! the policy, its key observed) and [`Trusted`] (that key may receive a credential).
//!
//! The verifier (`trust::AccessoryVerifier`) accepts a first use (trust on first use) without
//! anything vouching for the key: that is what a first use is. So a session the verifier accepted
//! is only [`Connected`]; it becomes [`Trusted`] by one of the constructors here, each of which
//! checks its reason itself:
//!
//! - [`Trusted::vouched`]: the policy pinned the key or chained it to an anchor, and the verifier
//!   checked that on the handshake;
//! - [`Trusted::recorded`]: the ledger's recorded key for this device id is the observed one;
//! - [`Trusted::expected`]: the key is the one `--expect-fingerprint` names (from the label);
//! - [`Trusted::asked`]: a person said the key is the one on the label.
//!
//! The step that sends the home network (`flow.rs`) takes a `Trusted` and a
//! [`ProvenDevice`](crate::proven::ProvenDevice), so nothing secret can be written on a session
//! that is only `Connected`. A session opened again after the accessory rebooted keeps the
//! `Trusted` only if it presents the same key ([`Trusted::reopened`]).

use std::sync::Arc;

use protocol::profile::DeviceEndpoint;
use rustls::pki_types::CertificateDer;
use tokio::time::Instant;

use crate::client::{Answer, Endpoint, Session};
use crate::error::Error;
use crate::event::Observer;
use crate::ledger::AccessoryRecord;
use crate::outcome::RoundTrips;
use crate::request::{ExpectedKey, FirstUseQuestion, TrustInputs};
use crate::step::Step;

/// The key the accessory presented: (pin, fingerprint), and the certificate the verifier accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) pin: trust::Pin,
    pub(crate) fingerprint: String,
    pub(crate) leaf: CertificateDer<'static>,
}

/// TLS is up and the verifier accepted the peer under the policy; its key is observed. Nothing
/// secret may be written yet (a first use has not been confirmed). Only [`Connected::open`] makes one.
pub(crate) struct Connected {
    session: Session,
    key: Key,
}

impl Connected {
    /// Connects, performs the handshake with `verifier`, and observes the key it accepted.
    pub(crate) async fn open(
        endpoint: &Endpoint,
        verifier: &trust::AccessoryVerifier,
        deadline: Instant,
        round_trips: &mut RoundTrips,
        observer: &Observer,
    ) -> Result<Connected, Error> {
        let session = Session::open(endpoint, deadline, round_trips, observer).await?;
        let key = observed_key(verifier)?;
        Ok(Connected { session, key })
    }

    /// The key the verifier accepted on this session.
    pub(crate) fn key(&self) -> &Key {
        &self.key
    }

    /// A `GET` that carries nothing secret (`GET /v1/device`): no body, no proof of possession.
    /// The only request a session that is not [`Trusted`] can make.
    pub(crate) async fn get_device(
        &mut self,
        endpoint: &DeviceEndpoint,
        round_trips: &mut RoundTrips,
    ) -> Result<Answer, Error> {
        get_device(&mut self.session, endpoint, round_trips).await
    }
}

/// A session whose key may receive a credential, and why. Only the constructors below make one;
/// each checks its reason.
pub(crate) struct Trusted {
    connected: Connected,
    first_use: bool,
}

impl Trusted {
    /// The policy pins the key or names anchors, and the verifier checked them on the handshake.
    /// `first_use`: the ledger has no record for this accessory yet (it will record this key).
    pub(crate) fn vouched(
        connected: Connected,
        inputs: &TrustInputs,
        first_use: bool,
    ) -> Result<Trusted, Error> {
        if !vouches(inputs) {
            return Err(Error::InvalidRequest(
                "no pin or anchor vouches for the key".into(),
            ));
        }
        Ok(Trusted {
            connected,
            first_use,
        })
    }

    /// The ledger's record for this device holds the key observed (compared by pin).
    pub(crate) fn recorded(
        connected: Connected,
        record: &AccessoryRecord,
    ) -> Result<Trusted, Error> {
        let key = &connected.key;
        if record.pin != key.pin.to_string() {
            return Err(Error::KeyChanged {
                device_id: record.id.clone(),
                recorded_pin: record.pin.clone(),
                recorded_fingerprint: record.fingerprint.clone(),
                observed_pin: key.pin.to_string(),
                observed_fingerprint: key.fingerprint.clone(),
            });
        }
        Ok(Trusted {
            connected,
            first_use: false,
        })
    }

    /// A first use whose key is the one `--expect-fingerprint` names.
    pub(crate) fn expected(connected: Connected, expect: &ExpectedKey) -> Result<Trusted, Error> {
        check_expected(&connected.key, expect)?;
        Ok(Trusted {
            connected,
            first_use: true,
        })
    }

    /// A first use confirmed by a person (`ask` answers the question "is this the key on the
    /// label?"). `None` when the answer is no (or the question could not be asked).
    pub(crate) async fn asked(
        connected: Connected,
        question: FirstUseQuestion,
        ask: Arc<dyn Fn(&FirstUseQuestion) -> bool + Send + Sync>,
    ) -> Result<Trusted, Connected> {
        let yes = tokio::task::spawn_blocking(move || ask(&question))
            .await
            .unwrap_or(false);
        if yes {
            Ok(Trusted {
                connected,
                first_use: true,
            })
        } else {
            Err(connected)
        }
    }

    /// The trusted key.
    pub(crate) fn key(&self) -> &Key {
        &self.connected.key
    }

    /// Whether the ledger had no record of this accessory (this run records its key).
    pub(crate) fn first_use(&self) -> bool {
        self.first_use
    }

    /// `GET /v1/device` on a trusted session: as [`Connected::get_device`], nothing secret.
    pub(crate) async fn get_device(
        &mut self,
        endpoint: &DeviceEndpoint,
        round_trips: &mut RoundTrips,
    ) -> Result<Answer, Error> {
        get_device(&mut self.connected.session, endpoint, round_trips).await
    }

    /// The session, which may now carry a credential.
    pub(crate) fn session(&mut self) -> &mut Session {
        &mut self.connected.session
    }

    /// The accessory dropped the session (it rebooted) and it was opened again: it stays trusted
    /// only if it presents the same key.
    pub(crate) fn reopened(&mut self, again: Connected, device_id: &str) -> Result<(), Error> {
        let key = &self.connected.key;
        if again.key != *key {
            return Err(Error::KeyChanged {
                device_id: device_id.to_owned(),
                recorded_pin: key.pin.to_string(),
                recorded_fingerprint: key.fingerprint.clone(),
                observed_pin: again.key.pin.to_string(),
                observed_fingerprint: again.key.fingerprint,
            });
        }
        self.connected = again;
        Ok(())
    }
}

/// The device info request (`GET /v1/device`, or the API profile's): no body, no credential.
async fn get_device(
    session: &mut Session,
    endpoint: &DeviceEndpoint,
    round_trips: &mut RoundTrips,
) -> Result<Answer, Error> {
    session
        .exchange(
            Step::Device,
            crate::profile::method(endpoint.method),
            &endpoint.path,
            None,
            None,
            round_trips,
        )
        .await
}

/// Whether the policy has a pin or anchors: then the verifier accepted the key by them, not as a
/// first use alone.
pub(crate) fn vouches(inputs: &TrustInputs) -> bool {
    !inputs.pins.is_empty() || inputs.anchors.is_some()
}

/// `--expect-fingerprint` against the observed key.
pub(crate) fn check_expected(key: &Key, expect: &ExpectedKey) -> Result<(), Error> {
    if expect.matches(&key.pin, &key.fingerprint) {
        Ok(())
    } else {
        Err(Error::FingerprintMismatch {
            expected: expect.to_string(),
            fingerprint: key.fingerprint.clone(),
            pin: key.pin.to_string(),
        })
    }
}

pub(crate) fn observed_key(verifier: &trust::AccessoryVerifier) -> Result<Key, Error> {
    let observed = verifier.observed().ok_or_else(|| Error::Malformed {
        step: Step::Handshake,
        detail: "the handshake finished without a verified certificate (resumed session?)".into(),
    })?;
    let leaf = observed
        .chain
        .first()
        .cloned()
        .ok_or_else(|| Error::Malformed {
            step: Step::Handshake,
            detail: "the verifier accepted no certificate".into(),
        })?;
    Ok(Key {
        pin: observed.pin,
        fingerprint: observed.fingerprint,
        leaf,
    })
}
