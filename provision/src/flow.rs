//! The provisioning flow (DESIGN.md "Provisioning flow"), from an address to "connected":
//!
//! 1. connect (retrying transient errors within the deadline; bound to the joined interface) and
//!    TLS with the trust policy (`trust::AccessoryVerifier`): a [`Connected`] session, its key
//!    observed;
//! 2. [`Run::verify`]: the key must be the one `--expect-fingerprint` names, if given; then it is
//!    [`Trusted`] by a pin or an anchor the verifier checked, or (trust on first use) by the
//!    first-use decision, [`Run::decide`]: the ledger's recorded key for the device id matched, or
//!    a first use vouched by a pin or an anchor, or confirmed by `--expect-fingerprint` or by a
//!    person. With `--device-id` it is decided here, before any request;
//! 3. `GET /v1/device` (the one request a `Connected` session can make: no body, no proof of
//!    possession): [`Run::identify`] makes a [`ProvenDevice`], the id it reports being one the
//!    certificate names and the one asked for if one was (`proven.rs`). Trust on first use without
//!    `--device-id` looks the ledger up by that proven id and decides here (the same
//!    [`Run::decide`]); a first use under trust on first use is recorded now, before anything
//!    secret goes out, unless another station recorded a key for the id meanwhile: then it is a
//!    changed key ([`Run::record_first_use`]);
//! 4. [`Run::send_network`], `PUT /v1/network` with `"apply": true`: the only request that carries
//!    the passphrase and the first that carries the proof of possession. It takes a [`Trusted`]
//!    and a [`ProvenDevice`], values only the checks above make (their constructors are private
//!    to `trusted.rs` and `proven.rs`);
//! 5. [`Run::await_connected`], `GET /v1/status?wait=N` on the trusted session until `connected`,
//!    `failed` or the deadline, opening the session again if the accessory drops it to reboot: it
//!    stays trusted only if the key is the same after the reboot ([`Trusted::reopened`]);
//! 6. record the accessory (under its proven id, with the trusted key) and the attempt in the
//!    ledger.
//!
//! Five round trips when nothing goes wrong (TCP, TLS 1.3, device, network, one long-poll answer):
//! one session for everything, the apply folded into the network request, and a long poll instead
//! of polling on an interval. The count is kept and reported, so a regression shows.
//!
//! The types are the security argument: no credential (passphrase or proof of possession) is
//! written except on a [`Trusted`] session to a [`ProvenDevice`], so not before the verifier
//! accepted the peer, a first use was confirmed and the id the accessory reports was proven by
//! its certificate. `GET /v1/device` comes before all that and carries nothing secret. The bodies
//! and headers that carry a credential are wiped when hyper drops them (`client::secret_bytes`,
//! which says what copies remain in the libraries).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use std::time::Duration;

use protocol::profile::{Polling, Reading};
use rustls::pki_types::ServerName;
use time::OffsetDateTime;
use tokio::time::Instant;

use protocol::api::{ErrorBody, NetworkList, State};
use protocol::Host;

use crate::client::{self, Answer, Credential, Endpoint};
use crate::diagnosis;
use crate::error::Error;
use crate::event::{Event, Observer};
use crate::ledger::{AccessoryRecord, AttemptOutcome, Ledger};
use crate::outcome::{Failure, Outcome, RoundTrips};
use crate::profile::LoadedProfile;
use crate::proven::ProvenDevice;
use crate::request::{ClientCert, FirstUse, FirstUseQuestion, Request};
use crate::step::Step;
use crate::trusted::{self, Connected, Key, Trusted};

// The trust decisions (expected key, policy, trust on first use) and the first-use record.
mod decide;
// Sending the home network and awaiting the status.
mod network;

/// The longest single long poll; the accessory caps it too (60 s in the simulator).
const MAX_WAIT_SECS: u64 = 30;
/// How many times a dropped session is opened again after apply (each reboot is one).
const MAX_RECONNECTS: u32 = 5;

/// Provisions one accessory. See the module documentation for the steps.
pub async fn run(request: Request) -> Result<Outcome, Failure> {
    run_observed(request, &Observer::none(), std::future::pending()).await
}

/// [`run`], telling `observer` each phase it enters ([`Event`]), and ending early when
/// `shutdown` resolves (the binary passes its Ctrl-C/SIGTERM future): the exchange is dropped,
/// the attempt is recorded as `interrupted` and the failure is [`Error::Interrupted`], so a
/// caller that joined a SoftAP leaves it afterwards as on any other failure.
///
/// The accessory is spoken to through the built-in API profile, our `/v1` API
/// ([`LoadedProfile::v1`]).
pub async fn run_observed(
    request: Request,
    observer: &Observer,
    shutdown: impl Future<Output = ()>,
) -> Result<Outcome, Failure> {
    run_profiled(request, &LoadedProfile::v1(), observer, shutdown).await
}

/// [`run_observed`] for an accessory that speaks its own HTTPS API, described by `api`
/// (`provision --api-profile FILE`): the device info, set-network and status exchanges follow the
/// profile; the trust policy, the proven device id, the ledger and the diagnoses are the same.
pub async fn run_profiled(
    request: Request,
    api: &LoadedProfile,
    observer: &Observer,
    shutdown: impl Future<Output = ()>,
) -> Result<Outcome, Failure> {
    let t0 = Instant::now();
    let deadline = t0 + request.deadline;
    let mut run = Run::new(&request, api, observer);
    let address = request.accessory.authority();

    let attempt = match &request.ledger {
        Some(ledger) => {
            let (id, addr, ssid) = (
                request.device_id.clone(),
                address.clone(),
                request.network.ssid.clone(),
            );
            match with_ledger(ledger, move |l| {
                l.start_attempt(id.as_deref(), &addr, &ssid, OffsetDateTime::now_utc())
            })
            .await
            {
                Ok(id) => Some(id),
                Err(e) => return Err(run.failure(e, t0, None)),
            }
        }
        None => None,
    };

    let result = {
        let exchange = tokio::time::timeout_at(deadline, run.exchange(deadline));
        tokio::select! {
            r = exchange => Some(r),
            () = shutdown => None,
        }
    };
    let result = match result {
        Some(Ok(r)) => r,
        Some(Err(_)) => Err(Error::Deadline { step: run.step }),
        None => Err(Error::Interrupted { step: run.step }),
    };

    match result {
        Ok(done) => {
            let key = run.key.clone().expect("a finished exchange saw a key");
            if let Some(ledger) = &request.ledger {
                run.observer.emit(Event::Recording);
                let now = OffsetDateTime::now_utc();
                let record = AccessoryRecord {
                    id: done.device.id().to_owned(),
                    pin: key.pin.to_string(),
                    fingerprint: key.fingerprint.clone(),
                    model: Some(done.device.info().model.clone()).filter(|m| !m.is_empty()),
                    firmware: Some(done.device.info().firmware.clone()).filter(|f| !f.is_empty()),
                    first_seen: now,
                    last_seen: now,
                };
                let (attempt_id, rt) = (attempt, run.round_trips.total());
                // One transaction for the end state: one commit, one fsync.
                let recorded = with_ledger(ledger, move |l| {
                    l.record_connected(&record, attempt_id, Some(rt), OffsetDateTime::now_utc())
                })
                .await;
                if let Err(e) = recorded {
                    run.step = Step::Record;
                    return Err(run.failure(e, t0, attempt));
                }
            }
            Ok(Outcome {
                address,
                device: done.device.into_info(),
                ssid: request.network.ssid.clone(),
                ip: done.ip,
                pin: key.pin.to_string(),
                fingerprint: key.fingerprint,
                first_use: done.first_use,
                reconnects: run.reconnects,
                round_trips: run.round_trips,
                elapsed_ms: t0.elapsed().as_millis() as u64,
                attempt,
            })
        }
        Err(error) => {
            let failure = run.failure(error, t0, attempt);
            if let (Some(ledger), Some(a)) = (&request.ledger, attempt) {
                let outcome = match failure.error {
                    Error::Interrupted { .. } => AttemptOutcome::Interrupted,
                    _ => AttemptOutcome::Failed,
                };
                let (device, code, rt) = (
                    failure.device_id.clone(),
                    failure.diagnosis.code,
                    failure.round_trips.total(),
                );
                let finished = with_ledger(ledger, move |l| {
                    l.finish_attempt(
                        a,
                        device.as_deref(),
                        outcome,
                        Some(code),
                        Some(rt),
                        OffsetDateTime::now_utc(),
                    )
                })
                .await;
                if let Err(e) = finished {
                    // The failure the user needs to see is the provisioning one.
                    tracing::warn!(error = %e, "could not record the failed attempt");
                }
            }
            Err(failure)
        }
    }
}

/// The networks a verified accessory sees, for a person to choose the home network from: the
/// profile's networks list (`GET /v1/networks` for the built-in [`LoadedProfile::v1`]), over the
/// same connection, verification and device-id proof as [`run_profiled`], with nothing secret sent
/// but the profile's credential (the PoP proof, or its static header) to the verified peer.
/// Records no attempt. `request.network` is not used. A profile without a networks list is
/// [`Error::InvalidRequest`] before any contact: callers check [`LoadedProfile::lists_networks`]
/// first.
pub async fn networks(request: &Request, api: &LoadedProfile) -> Result<NetworkList, Failure> {
    let t0 = Instant::now();
    let none = Observer::none();
    let mut run = Run::new(request, api, &none);
    match tokio::time::timeout(request.deadline, run.networks(t0 + request.deadline)).await {
        Ok(Ok(list)) => Ok(list),
        Ok(Err(e)) => Err(run.failure(e, t0, None)),
        Err(_) => Err(run.failure(Error::Deadline { step: run.step }, t0, None)),
    }
}

/// What [`Run::verify`] made of a connected session.
enum Verified {
    /// Trusted now (by the policy, by the ledger's record for the id on the label, or a first use
    /// confirmed).
    Trusted(Trusted),
    /// Trust on first use without `--device-id`: the ledger is looked up by the id the
    /// certificate proves, after `GET /v1/device`.
    ByReportedId(Connected),
}

/// What a successful exchange learned.
struct Done {
    device: ProvenDevice,
    ip: Option<String>,
    first_use: bool,
}

/// The state of one run, kept outside the exchange so a deadline can report how far it got.
struct Run<'a> {
    observer: &'a Observer,
    /// The API the accessory speaks (the built-in `/v1` profile unless `--api-profile`).
    api: &'a LoadedProfile,
    request: &'a Request,
    step: Step,
    round_trips: RoundTrips,
    device_id: Option<String>,
    key: Option<Key>,
    credentials_sent: bool,
    reconnects: u32,
}

impl<'a> Run<'a> {
    /// A run that has not started: nothing learned, nothing sent.
    fn new(request: &'a Request, api: &'a LoadedProfile, observer: &'a Observer) -> Self {
        Run {
            observer,
            api,
            request,
            step: Step::Prepare,
            round_trips: RoundTrips::default(),
            device_id: request.device_id.clone(),
            key: None,
            credentials_sent: false,
            reconnects: 0,
        }
    }

    fn failure(&self, error: Error, t0: Instant, attempt: Option<i64>) -> Failure {
        let step = match &error {
            Error::Connect { .. } | Error::BindDevice { .. } | Error::Resolve { .. } => {
                if self.reconnects > 0 || self.step == Step::Status {
                    self.step
                } else {
                    Step::Connect
                }
            }
            Error::Handshake { .. } if self.step == Step::Connect => Step::Handshake,
            _ => self.step,
        };
        // The host a platform's message names (Android's `Hostname <host> not verified`): the
        // DNS name or IP checked (--dns, --ip), else the address an app would connect to.
        let host = match &self.request.trust.name {
            Some(trust::Identity::Dns(name)) => name.clone(),
            Some(trust::Identity::Ip(ip)) => ip.to_string(),
            _ => self.request.accessory.host.to_string(),
        };
        Failure {
            diagnosis: diagnosis::of(&error).naming_host(host),
            step,
            address: self.request.accessory.authority(),
            device_id: self.device_id.clone(),
            observed: self
                .key
                .as_ref()
                .map(|k| (k.pin.to_string(), k.fingerprint.clone())),
            credentials_sent: self.credentials_sent,
            round_trips: self.round_trips,
            elapsed_ms: t0.elapsed().as_millis() as u64,
            attempt,
            error,
        }
    }

    /// The exchange, as typed steps: [`Connected`] → [`Run::verify`] → [`Trusted`] (at once, or
    /// for trust on first use without `--device-id`, once [`Run::identify`] proved the id the
    /// ledger is looked up by) → [`Run::send_network`], which takes a `Trusted` and a
    /// [`ProvenDevice`] → [`Run::await_connected`].
    async fn exchange(&mut self, deadline: Instant) -> Result<Done, Error> {
        self.request.network.validate()?;
        let (endpoint, verifier, mut trusted, device) = self.establish(deadline).await?;
        if trusted.first_use() && self.request.trust.tofu {
            self.record_first_use(&trusted, &device).await?;
        }
        self.send_network(&mut trusted, &device).await?;
        self.await_connected(&endpoint, &verifier, deadline, trusted, device)
            .await
    }

    /// The exchange up to a session that may receive a credential, to an accessory whose id is
    /// proven: connect, verify, `GET /v1/device`. Nothing secret is sent.
    async fn establish(
        &mut self,
        deadline: Instant,
    ) -> Result<
        (
            Endpoint,
            Arc<trust::AccessoryVerifier>,
            Trusted,
            ProvenDevice,
        ),
        Error,
    > {
        let request = self.request;
        let trust_in = &request.trust;
        self.api.credential(request)?;
        if !trust_in.tofu && !trusted::vouches(trust_in) {
            return Err(Error::InvalidRequest(
                "no trust policy: give --pin, --anchors or --tofu (there is no way to accept any certificate)".into(),
            ));
        }
        let addr = resolve(request).await?;

        // Trust on first use is keyed by device id: look the id on the label up now, so that a
        // changed key is refused right after the handshake.
        let recorded = match &request.device_id {
            Some(id) if trust_in.tofu => self.recorded(id).await?,
            _ => None,
        };
        let verifier = trust::AccessoryVerifier::new(self.policy()?);
        let mut config = trust::client_config(verifier.clone());
        if let Some(identity) = &request.client_identity {
            add_client_identity(&mut config, identity)?;
        }
        let endpoint = Endpoint {
            addr,
            authority: request.accessory.authority(),
            server_name: server_name(&request.accessory.host)?,
            bind_device: request.bind_device.clone(),
            config: Arc::new(config),
        };

        self.step = Step::Connect;
        self.observer.emit(Event::Connecting {
            address: endpoint.authority.clone(),
            reconnect: 0,
        });
        let connected = Connected::open(
            &endpoint,
            &verifier,
            deadline,
            &mut self.round_trips,
            self.observer,
        )
        .await?;
        self.key = Some(connected.key().clone());
        self.observer.emit(Event::Verifying);

        let (trusted, device) = match self.verify(connected, recorded).await? {
            Verified::Trusted(mut trusted) => {
                self.step = Step::Device;
                let answer = trusted
                    .get_device(&self.api.api().device, &mut self.round_trips)
                    .await?;
                let device = self.identify(&answer, trusted.key())?;
                (trusted, device)
            }
            Verified::ByReportedId(mut connected) => {
                self.step = Step::Device;
                let answer = connected
                    .get_device(&self.api.api().device, &mut self.round_trips)
                    .await?;
                let device = self.identify(&answer, connected.key())?;
                let recorded = self.recorded(device.id()).await?;
                (self.decide(connected, recorded).await?, device)
            }
        };
        Ok((endpoint, verifier, trusted, device))
    }

    /// The profile's networks list on an established session (with the profile's credential: the
    /// peer is verified). The built-in `/v1` profile's answer is read as the documented
    /// `NetworkList` JSON; another profile's through its `[networks]` members.
    async fn networks(&mut self, deadline: Instant) -> Result<NetworkList, Error> {
        let api = self.api;
        let Some(list) = api.api().networks.as_ref() else {
            return Err(Error::InvalidRequest(format!(
                "the API profile {:?} has no networks list",
                api.api().name
            )));
        };
        let (_, _, mut trusted, device) = self.establish(deadline).await?;
        let credential = api.credential(self.request)?;
        self.step = Step::Networks;
        let answer = trusted
            .session()
            .exchange_as(
                Step::Networks,
                crate::profile::method(list.method),
                &list.path.render(device.id()),
                None,
                credential,
                &mut self.round_trips,
            )
            .await?;
        let pop_sent = matches!(credential, Credential::Pop(_));
        if api.is_v1() {
            return self.json(Step::Networks, &answer, pop_sent);
        }
        let value: serde_json::Value = self.json(Step::Networks, &answer, pop_sent)?;
        list.read(&value).ok_or_else(|| Error::Malformed {
            step: Step::Networks,
            detail: format!("no array at {} in the networks answer", list.list),
        })
    }

    /// What `GET /v1/device` answered (nothing secret was sent: no proof of possession before the
    /// id is proven): the id it reports must be one the certificate (`key`) names, and the one
    /// asked for if one was.
    fn identify(&mut self, answer: &Answer, key: &Key) -> Result<ProvenDevice, Error> {
        let value: serde_json::Value = self.json(Step::Device, answer, false)?;
        let profile = self.api.api();
        let device = profile
            .read_device(&value)
            .ok_or_else(|| Error::Malformed {
                step: Step::Device,
                detail: format!(
                    "no device id (a string) at {:?} of the answer (API profile {:?})",
                    profile.device.id, profile.name
                ),
            })?;
        let device = ProvenDevice::check(&key.leaf, device, self.request.device_id.as_deref())?;
        self.device_id = Some(device.id().to_owned());
        Ok(device)
    }

    /// The verifier's policy. Trust on first use is always given to the verifier as a first use
    /// (`tofu(None)`), and the flow compares the observed key with the ledger's record itself,
    /// right after the handshake and before any request: the verifier records what it observed
    /// only for a peer it accepted, and the warning for a changed key must name the new key too.
    fn policy(&self) -> Result<trust::TrustPolicy, Error> {
        trust_policy(self.request)
    }

    /// Checks the status and parses a JSON answer.
    fn json<T: serde::de::DeserializeOwned>(
        &self,
        step: Step,
        answer: &Answer,
        pop_sent: bool,
    ) -> Result<T, Error> {
        self.check_status(step, answer, pop_sent)?;
        serde_json::from_slice(&answer.body).map_err(|e| Error::Malformed {
            step,
            detail: format!("not the documented JSON: {e}"),
        })
    }

    fn check_status(&self, step: Step, answer: &Answer, pop_sent: bool) -> Result<(), Error> {
        if (200..300).contains(&answer.status) {
            return Ok(());
        }
        let body = ErrorBody::parse(&answer.body);
        if answer.status == 401 || answer.status == 403 {
            if let (Some(header), true) = (self.api.header_name(), step != Step::Device) {
                return Err(Error::HeaderRejected {
                    header: header.to_owned(),
                    status: answer.status,
                    message: body.error,
                });
            }
            return Err(Error::PopRejected {
                sent: pop_sent,
                status: answer.status,
                message: body.error,
            });
        }
        Err(Error::AccessoryHttp {
            step,
            status: answer.status,
            code: body.code,
            message: body.error,
        })
    }
}

pub(crate) async fn resolve(request: &Request) -> Result<SocketAddr, Error> {
    let host = match &request.accessory.host {
        Host::Ip(ip) => return Ok(SocketAddr::new(*ip, request.accessory.port)),
        Host::Name(name) => name.clone(),
    };
    let mut addrs = tokio::net::lookup_host((host.clone(), request.accessory.port))
        .await
        .map_err(|source| Error::Resolve {
            host: host.clone(),
            source,
        })?;
    addrs.next().ok_or_else(|| Error::Resolve {
        host,
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
    })
}

/// The name rustls is given: an IP address sends no SNI (accessories are reached by address); the
/// verifier checks the identity the policy names (or, without one, this name).
/// The trust policy of `request`: its pins, anchors, identity and first use.
pub(crate) fn trust_policy(request: &Request) -> Result<trust::TrustPolicy, Error> {
    let mut builder = trust::TrustPolicy::builder();
    for pin in &request.trust.pins {
        builder = builder.pin(*pin);
    }
    if let Some(anchors) = &request.trust.anchors {
        builder = builder.anchors(anchors.clone());
    }
    match (&request.device_id, &request.trust.name) {
        (Some(_), Some(name)) => {
            return Err(Error::InvalidRequest(format!(
                "give a device id or a name ({name}) for the certificate to name, not both"
            )))
        }
        (Some(id), None) => builder = builder.identity(trust::Identity::DeviceId(id.clone())),
        (None, Some(name)) => builder = builder.identity(name.clone()),
        (None, None) => {}
    }
    if request.trust.tofu {
        builder = builder.tofu(None);
    }
    builder
        .build()
        .map_err(|e| Error::InvalidRequest(format!("trust policy: {e}")))
}

pub(crate) fn server_name(host: &Host) -> Result<ServerName<'static>, Error> {
    match host {
        Host::Ip(ip) => Ok(ServerName::IpAddress((*ip).into())),
        Host::Name(host) => ServerName::try_from(host.clone()).map_err(|_| {
            Error::InvalidRequest(format!(
                "accessory address {host:?} is not a valid host name"
            ))
        }),
    }
}

fn add_client_identity(
    config: &mut rustls::ClientConfig,
    identity: &ClientCert,
) -> Result<(), Error> {
    let key = rustls::sign::CertifiedKey::from_der(
        identity.chain.clone(),
        identity.key.clone_key(),
        config.crypto_provider(),
    )
    .map_err(|e| Error::ClientCert(e.to_string()))?;
    config.client_auth_cert_resolver = Arc::new(rustls::sign::SingleCertAndKey::from(key));
    Ok(())
}

/// Runs a ledger call off the async threads (SQLite may wait on a busy lock).
pub(crate) async fn with_ledger<T: Send + 'static>(
    ledger: &Arc<Ledger>,
    f: impl FnOnce(&Ledger) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let l = Arc::clone(ledger);
    let path = l.path().to_path_buf();
    tokio::task::spawn_blocking(move || f(&l))
        .await
        .unwrap_or_else(|e| {
            Err(Error::Ledger {
                path,
                action: "run a ledger task",
                source: Box::new(e),
            })
        })
}
