//! After trust: the home network sent to a proven device, and the status awaited until it
//! joined (opening the session again when the accessory reboots to apply it).

use super::*;

impl Run<'_> {
    /// `GET /v1/status?wait=N` until `connected`, `failed` or the deadline, opening the session
    /// again if the accessory drops it to reboot; the key must be the same after the reboot.
    pub(super) async fn await_connected(
        &mut self,
        endpoint: &Endpoint,
        verifier: &trust::AccessoryVerifier,
        deadline: Instant,
        mut trusted: Trusted,
        device: ProvenDevice,
    ) -> Result<Done, Error> {
        let request = self.request;
        let profile = self.api.api();
        let credential = self.api.credential(request)?;
        let pop_sent = matches!(credential, Credential::Pop(_));
        self.step = Step::Status;
        self.observer.emit(Event::Waiting { state: None });
        let mut first = true;
        loop {
            if let Polling::Interval { ms } = profile.status.polling {
                if !first {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
            }
            first = false;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let wait = remaining.as_secs().clamp(1, MAX_WAIT_SECS);
            let path = profile.status_path(device.id(), wait);
            let answer = match trusted
                .session()
                .exchange_as(
                    Step::Status,
                    crate::profile::method(profile.status.method),
                    &path,
                    None,
                    credential,
                    &mut self.round_trips,
                )
                .await
            {
                Ok(a) => a,
                // A TLS alert is the accessory refusing the session, not rebooting: reported.
                Err(Error::ConnectionLost { source, .. })
                    if diagnosis::tls_cause(source.as_ref()).is_none() =>
                {
                    // The accessory dropped the session after apply: it is rebooting. Open it
                    // again (connect retries while it is down) and insist on the same key.
                    if self.reconnects >= MAX_RECONNECTS {
                        return Err(Error::ConnectionLost {
                            step: Step::Status,
                            source,
                        });
                    }
                    self.reconnects += 1;
                    tracing::info!(error = %source, "the accessory dropped the session; reconnecting");
                    self.observer.emit(Event::Connecting {
                        address: endpoint.authority.clone(),
                        reconnect: self.reconnects,
                    });
                    let again = Connected::open(
                        endpoint,
                        verifier,
                        deadline,
                        &mut self.round_trips,
                        self.observer,
                    )
                    .await?;
                    trusted.reopened(again, device.id())?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let value: serde_json::Value = self.json(Step::Status, &answer, pop_sent)?;
            let status = match profile.read_status(&value) {
                Some(Reading::Status(status)) => status,
                Some(Reading::Unmapped(state)) => {
                    return Err(Error::Malformed {
                        step: Step::Status,
                        detail: format!(
                            "the accessory reports state {state:?}, which the API profile {:?} does not map",
                            profile.name
                        ),
                    })
                }
                None => {
                    return Err(Error::Malformed {
                        step: Step::Status,
                        detail: format!(
                            "no state at {:?} of the answer (API profile {:?})",
                            profile.status.state, profile.name
                        ),
                    })
                }
            };
            tracing::debug!(state = %status.state, reason = ?status.reason, "status");
            match status.state {
                State::Connected => {
                    return Ok(Done {
                        device,
                        ip: status.ip,
                        first_use: trusted.first_use(),
                    })
                }
                State::Failed => {
                    return Err(Error::JoinFailed {
                        ssid: request.network.ssid.clone(),
                        reason: status.reason.unwrap_or_else(|| "unknown".into()),
                    })
                }
                State::Connecting | State::Configured => {
                    self.observer.emit(Event::Waiting {
                        state: Some(status.state),
                    });
                }
                State::Idle => {
                    // The accessory forgot the network (a reboot that lost it): it will never
                    // connect by waiting.
                    return Err(Error::Malformed {
                        step: Step::Status,
                        detail: "the accessory is idle again: it lost the network it was given"
                            .into(),
                    });
                }
            }
        }
    }

    /// `PUT /v1/network` with `"apply": true`: the only request that carries the passphrase, and
    /// the first that carries the proof of possession. It takes a [`Trusted`] session and a
    /// [`ProvenDevice`], which only the checks make.
    pub(super) async fn send_network(
        &mut self,
        trusted: &mut Trusted,
        device: &ProvenDevice,
    ) -> Result<(), Error> {
        let request = self.request;
        self.step = Step::Network;
        self.observer.emit(Event::Sending);
        tracing::debug!(device_id = device.id(), "sending the home network");
        let set = &self.api.api().set_network;
        let credential = self.api.credential(request)?;
        let (body, content_type) = self.api.network_body(&request.network, device.id());
        // Wiped when hyper drops the body (`client::secret_bytes`).
        let body = client::secret_bytes(body);
        self.credentials_sent = true;
        let answer = trusted
            .session()
            .exchange_as(
                Step::Network,
                crate::profile::method(set.method),
                &set.path.render(device.id()),
                Some((body, content_type)),
                credential,
                &mut self.round_trips,
            )
            .await?;
        self.check_status(
            Step::Network,
            &answer,
            matches!(credential, Credential::Pop(_)),
        )
    }
}
