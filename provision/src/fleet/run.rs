//! The fleet run: prepare every row (read anchors and secrets once, before anything is
//! contacted, so bad input fails before the first accessory), ask the ledger what is done, then
//! `parallel` workers provision the rest in inventory order until done or stopped.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use protocol::AccessoryAddress;

use crate::error::Error;
use crate::esp::{EspProof, EspTransport};
use crate::fleet::event::FleetEvent;
use crate::fleet::inventory::{Inventory, InventoryError, InventoryRow};
use crate::fleet::radio::{provision_over, Radio, Radios};
use crate::fleet::report::{AccessoryResult, Disposition, Report};
use crate::fleet::speaks::Speaks;
use crate::ledger::{AttemptOutcome, Ledger};
use crate::outcome::Failure;
use crate::profile::{LoadedProfile, ProfileLoadError};
use crate::request::{ExpectedKey, FirstUse, Network, Request, TrustInputs};
use crate::secret::Secret;
use crate::step::Step;

/// How to run a fleet.
#[derive(Debug)]
pub struct FleetOptions {
    /// How many accessories at once (at least 1).
    pub parallel: usize,
    /// Provision again what the ledger says succeeded.
    pub force: bool,
    /// Each accessory's deadline.
    pub deadline: Duration,
    /// The home network for rows that name none (`network_ssid`), with its passphrase.
    pub network: Option<Network>,
    /// Where attempts are recorded and resumed from.
    pub ledger: Arc<Ledger>,
    /// How long a claim on an accessory lasts ([`default_lease`] unless asked otherwise): another
    /// station may take it over once it has run out, so a station that dies holds nothing for
    /// longer. At least [`shortest_lease`] of `deadline`: a shorter one is raised to it (the
    /// command refuses it).
    pub lease: Duration,
    /// The radios that join the SoftAP of rows naming one (none: such rows are refused before
    /// anything is contacted).
    pub radios: Radios,
    /// The API profile every row that names none (`api_profile`) speaks (`--api-profile`,
    /// loaded once for the run); `None`: our `/v1` API.
    pub api_profile: Option<Arc<LoadedProfile>>,
}

/// What a lease must outlast beyond one accessory's deadline: the attempt's last ledger writes
/// (a busy SQLite waits up to 5 s for its write lock) happen after the deadline has ended the
/// exchange with the accessory.
pub const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// The lease a fleet run takes when not told otherwise: the deadline and a minute.
pub fn default_lease(deadline: Duration) -> Duration {
    deadline + Duration::from_secs(60)
}

/// The shortest safe lease for `deadline`: the deadline and [`LEASE_MARGIN`]. A claim is taken
/// once, before the flow, and not renewed while it runs: a lease that could run out while this
/// station still works on the accessory would let another station take it over and provision it
/// a second time, so a shorter lease is refused rather than renewed.
pub fn shortest_lease(deadline: Duration) -> Duration {
    deadline + LEASE_MARGIN
}

/// A row ready to run.
struct Job {
    index: usize,
    request: Request,
    /// The SoftAP to join first, for a row that names one.
    softap: Option<String>,
    /// Whether the row gave the address (else, after a join, the SoftAP's router).
    address_given: bool,
    /// How the accessory is spoken to.
    speaks: Speaks,
}

/// Provisions every accessory of `inventory`, emitting [`FleetEvent`]s; stops starting new ones when
/// `stop` resolves. Errors only for input that cannot be used (a row's anchors or secret files) or
/// a ledger that cannot be read, before any accessory is contacted; each accessory's failure is
/// in the [`Report`].
pub async fn run(
    inventory: &Inventory,
    options: FleetOptions,
    events: Arc<dyn Fn(&FleetEvent) + Send + Sync>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<Report, InventoryError> {
    let t0 = Instant::now();
    let parallel = options.parallel.max(1);
    let mut results: Vec<AccessoryResult> = Vec::with_capacity(inventory.rows.len());
    let mut prepared = Prepared {
        anchors: HashMap::new(),
        passphrases: HashMap::new(),
        profiles: HashMap::new(),
        api_default: options
            .api_profile
            .clone()
            .unwrap_or_else(|| Arc::new(LoadedProfile::v1())),
    };
    let mut queue = VecDeque::new();
    let mut softap_queue = VecDeque::new();
    let mut skipped_before = Vec::new();
    for (index, (place, row)) in inventory.rows.iter().enumerate() {
        let row_error = |message: String| InventoryError::Row {
            file: inventory.file.clone(),
            place: *place,
            device_id: row.device_id.clone(),
            message,
        };
        let address = match (&row.address, &row.softap_ssid) {
            (Some(a), _) => a.clone(),
            (None, Some(ssid)) => format!("wifi:{ssid}"),
            (None, None) => String::new(),
        };
        results.push(AccessoryResult {
            device_id: row.device_id.clone(),
            address: address.clone(),
            outcome: Disposition::NotStarted,
            code: None,
            step: None,
            credentials_sent: false,
            elapsed_ms: 0,
            attempt: None,
        });
        if row.softap_ssid.is_some() && options.radios.radios.is_empty() {
            return Err(row_error(
                "a softap_ssid row needs a radio to join it: give --wifi BACKEND (and --interface \
                 IFACE, once per radio)"
                    .into(),
            ));
        }
        let mut request = prepared.request(row, &options).map_err(row_error)?;
        let api = prepared
            .profile(row)
            .map_err(|source| InventoryError::Profile {
                file: inventory.file.clone(),
                place: *place,
                device_id: row.device_id.clone(),
                source: Box::new(source),
            })?;
        let speaks = match row.protocol.as_deref() {
            Some("esp") => {
                let (speaks, tofu_off) = prepared.esp(row).map_err(row_error)?;
                request.trust.tofu = tofu_off;
                if let Some(a) = &row.address {
                    // No port given: the transport's (80 for protocomm over HTTP).
                    if a.parse::<AccessoryAddress>().is_ok()
                        && AccessoryAddress::parse_with_port(a).is_err()
                    {
                        request.accessory.port = speaks.default_port();
                    }
                }
                speaks
            }
            _ => Speaks::Api(api),
        };
        if !options.force {
            let done = succeeded_before(&options.ledger, &row.device_id).map_err(|source| {
                InventoryError::Ledger {
                    device_id: row.device_id.clone(),
                    source: Box::new(source),
                }
            })?;
            if let Some(attempt) = done {
                skipped_before.push((index, attempt));
                continue;
            }
        }
        let job = Job {
            index,
            request,
            softap: row.softap_ssid.clone(),
            address_given: row.address.is_some(),
            speaks,
        };
        match job.softap {
            Some(_) => softap_queue.push_back(job),
            None => queue.push_back(job),
        }
    }
    events(&FleetEvent::Planned {
        total: inventory.rows.len(),
        to_do: queue.len() + softap_queue.len(),
        skipped: skipped_before.len(),
        parallel,
    });
    for (index, attempt) in skipped_before {
        let r = &mut results[index];
        r.outcome = Disposition::Skipped;
        r.attempt = Some(attempt);
        events(&FleetEvent::Skipped {
            device_id: r.device_id.clone(),
            attempt,
        });
    }

    let shared = Arc::new(Shared {
        queue: Mutex::new(queue),
        softap_queue: Mutex::new(softap_queue),
        results: Mutex::new(results),
        stopped: AtomicBool::new(false),
        in_flight: AtomicUsize::new(0),
        events,
        force: options.force,
        lease: options.lease.max(shortest_lease(options.deadline)),
        radios: options.radios.clone(),
        ledger: Arc::clone(&options.ledger),
    });
    let watcher = {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            stop.await;
            shared.stopped.store(true, Ordering::SeqCst);
            let not_started = shared.queue.lock().expect("queue lock").len()
                + shared.softap_queue.lock().expect("queue lock").len();
            (shared.events)(&FleetEvent::Stopping {
                in_flight: shared.in_flight.load(Ordering::SeqCst),
                not_started,
            });
        })
    };
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..parallel {
        workers.spawn(worker(Arc::clone(&shared), None));
    }
    // One worker per radio: a radio is on one SoftAP at a time.
    for radio in &options.radios.radios {
        workers.spawn(worker(Arc::clone(&shared), Some(radio.clone())));
    }
    while workers.join_next().await.is_some() {}
    watcher.abort();
    let interrupted = shared.stopped.load(Ordering::SeqCst);
    let results = std::mem::take(&mut *shared.results.lock().expect("results lock"));
    Ok(Report::new(
        inventory.file.display().to_string(),
        results,
        interrupted,
        t0.elapsed().as_millis() as u64,
    ))
}

struct Shared {
    /// Rows with an address only, for the `parallel` workers.
    queue: Mutex<VecDeque<Job>>,
    /// Rows naming a SoftAP, for the radios' workers.
    softap_queue: Mutex<VecDeque<Job>>,
    results: Mutex<Vec<AccessoryResult>>,
    stopped: AtomicBool,
    in_flight: AtomicUsize,
    events: Arc<dyn Fn(&FleetEvent) + Send + Sync>,
    /// `--force`: redo what the ledger says succeeded.
    force: bool,
    /// How long each claim lasts (never shorter than [`shortest_lease`]).
    lease: Duration,
    /// What SoftAP joins share.
    radios: Radios,
    /// The run's ledger.
    ledger: Arc<Ledger>,
}

/// Takes jobs in inventory order until none is left or a stop was asked for: address rows, or
/// with a radio the SoftAP rows. The check and the take are one step under the queue's lock, so
/// nothing starts after the stop was seen.
async fn worker(shared: Arc<Shared>, radio: Option<Radio>) {
    // On a shared (PostgreSQL) ledger each worker has its own connection, opened when it takes
    // its first job: one connection serves one transaction at a time, and every accessory's
    // claim, attempt and release would otherwise wait for every other worker's.
    let mut own_ledger: Option<Arc<Ledger>> = None;
    loop {
        let job = {
            let mut queue = match radio {
                Some(_) => shared.softap_queue.lock(),
                None => shared.queue.lock(),
            }
            .expect("queue lock");
            if shared.stopped.load(Ordering::SeqCst) {
                return;
            }
            match queue.pop_front() {
                Some(job) => {
                    shared.in_flight.fetch_add(1, Ordering::SeqCst);
                    job
                }
                None => return,
            }
        };
        let mut job = job;
        if shared.ledger.is_shared() {
            if own_ledger.is_none() {
                own_ledger = Some(match shared.ledger.reopen() {
                    Ok(l) => Arc::new(l),
                    Err(e) => {
                        tracing::warn!(error = %e, "a connection of the worker's own; sharing the run's");
                        Arc::clone(&shared.ledger)
                    }
                });
            }
            job.request.ledger = own_ledger.clone();
        }
        let device_id = job.request.device_id.clone().unwrap_or_default();
        let address = match &job.softap {
            Some(ssid) if !job.address_given => format!("wifi:{ssid}"),
            _ => job.request.accessory.authority(),
        };
        // A SoftAP row's claim also covers the join, which comes before the flow's deadline.
        let lease = match job.softap {
            Some(_) => shared.lease + shared.radios.join_timeout,
            None => shared.lease,
        };
        if let Some(station) = claim(&job.request, &device_id, shared.force, lease) {
            shared.results.lock().expect("results lock")[job.index].outcome = Disposition::Held;
            shared.in_flight.fetch_sub(1, Ordering::SeqCst);
            (shared.events)(&FleetEvent::Held { device_id, station });
            continue;
        }
        (shared.events)(&FleetEvent::Started {
            device_id: device_id.clone(),
            address: address.clone(),
        });
        let ledger = job.request.ledger.clone();
        let result = match (&job.softap, &radio) {
            (Some(ssid), Some(radio)) => {
                let t0 = Instant::now();
                let joined = provision_over(
                    radio,
                    &shared.radios,
                    ssid,
                    job.address_given,
                    job.request,
                    job.speaks,
                )
                .await;
                match joined {
                    Ok(Ok(outcome)) => Ok(outcome),
                    Ok(Err(failure)) => Err(Ended::from(failure)),
                    // Not joined: nothing sent, no attempt (the flow never started).
                    Err(e) => Err(Ended {
                        code: e.code(),
                        step: Step::Connect,
                        credentials_sent: false,
                        elapsed_ms: t0.elapsed().as_millis() as u64,
                        attempt: None,
                    }),
                }
            }
            _ => job.speaks.run(job.request).await.map_err(Ended::from),
        };
        if let Some(ledger) = ledger {
            if let Err(e) = ledger.release(&device_id) {
                // The lease expires on its own; the next claim after it is free.
                tracing::warn!(device_id, error = %e, "could not release the claim");
            }
        }
        let event = {
            let mut results = shared.results.lock().expect("results lock");
            let r = &mut results[job.index];
            match result {
                Ok(outcome) => {
                    r.outcome = Disposition::Connected;
                    r.credentials_sent = true;
                    r.elapsed_ms = outcome.elapsed_ms;
                    r.attempt = outcome.attempt;
                    FleetEvent::Succeeded {
                        device_id,
                        address,
                        elapsed_ms: outcome.elapsed_ms,
                        attempt: outcome.attempt,
                    }
                }
                Err(failure) => {
                    r.outcome = Disposition::Failed;
                    r.code = Some(failure.code);
                    r.step = Some(failure.step);
                    r.credentials_sent = failure.credentials_sent;
                    r.elapsed_ms = failure.elapsed_ms;
                    r.attempt = failure.attempt;
                    FleetEvent::Failed {
                        device_id,
                        address,
                        code: failure.code,
                        step: failure.step,
                        credentials_sent: failure.credentials_sent,
                        elapsed_ms: failure.elapsed_ms,
                        attempt: failure.attempt,
                    }
                }
            }
        };
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        (shared.events)(&event);
    }
}

/// Claims the accessory for this station before working on it: a lease in the ledger (shared by
/// stations on PostgreSQL; on SQLite, by the workers of this station), so two stations never
/// provision one accessory at once. The lease outlives the run's deadline and the attempt's last
/// ledger writes ([`shortest_lease`]), so it cannot lapse while the flow runs, and ends early when
/// the run releases it; a station that dies leaves a lease that expires. `None` when this station may go on; `Some(station)` when another holds it. A ledger
/// that cannot be asked is treated as held: provisioning an accessory another station may be
/// provisioning is the mistake claims exist to prevent.
fn claim(request: &Request, device_id: &str, force: bool, lease: Duration) -> Option<String> {
    let ledger = request.ledger.as_ref()?;
    match ledger.claim(device_id, lease) {
        // Planned before another station finished it: the claim is free again, but the work is
        // done. Checked under the claim, so no two stations both see "not done".
        Ok(crate::Claim::Claimed { .. }) if !force => match succeeded_before(ledger, device_id) {
            Ok(None) => None,
            Ok(Some(attempt)) => {
                let _ = ledger.release(device_id);
                Some(format!(
                    "another station (provisioned it in attempt {attempt})"
                ))
            }
            Err(e) => {
                let _ = ledger.release(device_id);
                Some(format!("unknown (the ledger could not be asked: {e})"))
            }
        },
        Ok(crate::Claim::Claimed { .. }) => None,
        Ok(crate::Claim::HeldBy { station, .. }) => Some(station),
        Err(e) => {
            tracing::warn!(device_id, error = %e, "could not claim the accessory");
            Some(format!("unknown (the ledger could not be asked: {e})"))
        }
    }
}

/// How an accessory that was not provisioned ended: a [`Failure`] of the flow, or a SoftAP
/// that could not be joined.
struct Ended {
    code: &'static str,
    step: Step,
    credentials_sent: bool,
    elapsed_ms: u64,
    attempt: Option<i64>,
}

impl From<Failure> for Ended {
    fn from(f: Failure) -> Self {
        Ended {
            code: f.diagnosis.code,
            step: f.step,
            credentials_sent: f.credentials_sent,
            elapsed_ms: f.elapsed_ms,
            attempt: f.attempt,
        }
    }
}

/// The id of a successful attempt for `device_id`, if the ledger holds one.
fn succeeded_before(ledger: &Ledger, device_id: &str) -> Result<Option<i64>, Error> {
    Ok(ledger
        .attempts(Some(device_id))?
        .into_iter()
        .find(|a| a.outcome == AttemptOutcome::Connected)
        .map(|a| a.id))
}

/// What rows share, read once: anchors per file, passphrases per file, API profiles per file.
struct Prepared {
    anchors: HashMap<PathBuf, trust::Anchors>,
    passphrases: HashMap<PathBuf, Secret>,
    profiles: HashMap<PathBuf, Arc<LoadedProfile>>,
    /// The profile of rows that name none: the run's `--api-profile`, else `/v1`.
    api_default: Arc<LoadedProfile>,
}

impl Prepared {
    /// The API profile the row speaks: its `api_profile`, each file loaded once, else the run's.
    fn profile(&mut self, row: &InventoryRow) -> Result<Arc<LoadedProfile>, ProfileLoadError> {
        let Some(path) = &row.api_profile else {
            return Ok(Arc::clone(&self.api_default));
        };
        if let Some(loaded) = self.profiles.get(path) {
            return Ok(Arc::clone(loaded));
        }
        let loaded = Arc::new(LoadedProfile::load(path)?);
        self.profiles.insert(path.clone(), Arc::clone(&loaded));
        Ok(loaded)
    }

    /// The request for one row; the message says what is wrong with it.
    fn request(&mut self, row: &InventoryRow, options: &FleetOptions) -> Result<Request, String> {
        // A SoftAP row without an address: the SoftAP's router, known after the join.
        let address = row.address.as_deref().unwrap_or("192.168.4.1");
        let accessory: AccessoryAddress = address
            .parse()
            .map_err(|e| format!("address {address:?}: {e}"))?;
        let pins = match &row.pin {
            Some(p) => vec![p.parse::<trust::Pin>().map_err(|e| format!("pin: {e}"))?],
            None => Vec::new(),
        };
        let anchors = match &row.anchors {
            Some(path) => Some(match self.anchors.get(path) {
                Some(a) => a.clone(),
                None => {
                    let a =
                        trust::Anchors::from_pem_file(path).map_err(|e| format!("anchors: {e}"))?;
                    self.anchors.insert(path.clone(), a.clone());
                    a
                }
            }),
            None => None,
        };
        let expect = match &row.fingerprint {
            Some(fp) => Some(fp.parse::<ExpectedKey>().map_err(|e| e.to_string())?),
            None => None,
        };
        // A fingerprint alone is a first use confirmed by it, recorded in the ledger.
        let tofu = pins.is_empty() && anchors.is_none();
        let network = self.network(row, options)?;
        let pop = match (&row.label_pop, &row.pop_file) {
            // The label's code (a pop_file beside it was checked to hold the same).
            (Some(code), _) => Some(code.clone()),
            (None, Some(path)) => Some(
                Secret::from_file(path, "proof-of-possession code").map_err(|e| e.to_string())?,
            ),
            (None, None) => None,
        };
        Ok(Request {
            accessory,
            bind_device: None,
            trust: TrustInputs {
                pins,
                anchors,
                tofu,
                expect,
                name: None,
            },
            device_id: Some(row.device_id.clone()),
            network,
            pop,
            client_identity: None,
            deadline: options.deadline,
            ledger: Some(Arc::clone(&options.ledger)),
            first_use: FirstUse::Refuse,
        })
    }

    /// An `esp` row's transport and proof (the SRP password file read here), and `false` for
    /// the request's trust on first use, which ESP-IDF is not offered.
    fn esp(&mut self, row: &InventoryRow) -> Result<(Speaks, bool), String> {
        let transport = match row.esp_transport.as_deref() {
            Some("https") => EspTransport::Https,
            _ => EspTransport::Http,
        };
        let proof = match (&row.esp_password_file, &row.label_pop, &row.pop_file) {
            (Some(file), _, _) => EspProof::Srp {
                username: row
                    .esp_username
                    .clone()
                    .unwrap_or_else(|| "wifiprov".to_owned()),
                password: Secret::from_file(file, "SRP password").map_err(|e| e.to_string())?,
            },
            (None, Some(code), _) => EspProof::Pop(code.clone()),
            (None, None, Some(file)) => EspProof::Pop(
                Secret::from_file(file, "proof-of-possession code").map_err(|e| e.to_string())?,
            ),
            (None, None, None) => {
                return Err("an esp row needs pop_file, label or esp_password_file".into())
            }
        };
        Ok((Speaks::Esp(transport, proof), false))
    }

    /// The row's network, or the run's; the passphrase file read once per file.
    fn network(&mut self, row: &InventoryRow, options: &FleetOptions) -> Result<Network, String> {
        let default = options.network.as_ref();
        let ssid = match (&row.network_ssid, default) {
            (Some(ssid), _) => ssid.clone(),
            (None, Some(n)) => n.ssid.clone(),
            (None, None) => {
                return Err(
                    "no home network: give network_ssid in the row or --network-ssid".into(),
                )
            }
        };
        let mut network = match default {
            Some(n) => n.clone(),
            None => Network {
                ssid: ssid.clone(),
                passphrase: Secret::new(String::new()),
                security: protocol::Security::Wpa2Psk,
                hidden: false,
            },
        };
        network.ssid = ssid;
        if let Some(path) = &row.network_passphrase_file {
            let secret = match self.passphrases.get(path) {
                Some(s) => s.clone(),
                None => {
                    let s =
                        Secret::from_file(path, "network passphrase").map_err(|e| e.to_string())?;
                    self.passphrases.insert(path.clone(), s.clone());
                    s
                }
            };
            network.passphrase = secret;
        }
        network.validate().map_err(|e| e.to_string())?;
        Ok(network)
    }
}
