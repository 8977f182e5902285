//! Radios: the station's Wi-Fi interfaces, for inventory rows that name a SoftAP. A radio is on
//! one network at a time, so each radio works one SoftAP row at a time (join, provision, leave
//! and restore); several radios (`--interface` given several times) work several at once, while
//! rows with an address go on with `--parallel` workers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use protocol::AccessoryAddress;

use crate::fleet::speaks::Speaks;
use crate::outcome::{Failure, Outcome};
use crate::request::Request;
use crate::secret::Secret;
use crate::wifi::{self, BackendKind, JoinPlan, LifecycleError, Wanted, WifiBackend, WifiError};

/// Makes a radio's backend, on the blocking thread that joins.
type MakeBackend = dyn Fn() -> Result<Box<dyn WifiBackend>, WifiError> + Send + Sync;

/// One Wi-Fi interface of the station, and the backend that drives it.
#[derive(Clone)]
pub struct Radio {
    name: String,
    make: Arc<MakeBackend>,
}

impl Radio {
    /// The backend `kind` on `interface` (or the backend's choice of interface).
    pub fn new(kind: BackendKind, interface: Option<String>) -> Self {
        let name = match &interface {
            Some(i) => format!("{kind} on {i}"),
            None => kind.to_string(),
        };
        Self {
            name,
            make: Arc::new(move || wifi::backend(kind, interface.as_deref())),
        }
    }

    /// A radio whose backend `make` builds (another backend, or one a test wraps).
    pub fn with_backend(
        name: impl Into<String>,
        make: impl Fn() -> Result<Box<dyn WifiBackend>, WifiError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            make: Arc::new(make),
        }
    }

    /// What it is called in events (`sim on wlan1`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for Radio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Radio").field("name", &self.name).finish()
    }
}

/// How SoftAP rows are joined: the radios, and what every join shares.
#[derive(Debug, Clone, Default)]
pub struct Radios {
    /// The radios; each works one SoftAP at a time.
    pub radios: Vec<Radio>,
    /// How long a join may take, scan to address.
    pub join_timeout: Duration,
    /// The SoftAPs' own passphrase (secured SoftAPs), the same for every row.
    pub softap_passphrase: Option<Secret>,
}

/// Joins `ssid` with `radio`, provisions the accessory there as `speaks` says (the row's address if it gave one,
/// else the router the SoftAP's DHCP named, on the accessory API's port; connections bound to
/// the joined interface), and leaves, restoring the radio's previous connection. A stop asked for
/// meanwhile does not cut it short: the join is bounded by its timeout and the flow by its
/// deadline, so nothing is left half-way.
pub(crate) async fn provision_over(
    radio: &Radio,
    radios: &Radios,
    ssid: &str,
    address_given: bool,
    mut request: Request,
    speaks: Speaks,
) -> Result<Result<Outcome, Failure>, LifecycleError> {
    let make = Arc::clone(&radio.make);
    let mut plan = JoinPlan::with_backend(move || make(), radios.join_timeout);
    plan.wanted = Some(Wanted::Ssid(ssid.to_owned()));
    plan.device_id = request.device_id.clone();
    plan.passphrase = radios.softap_passphrase.clone();
    let events = |e: wifi::JoinEvent<'_>| {
        if let wifi::JoinEvent::LeaveFailed(e) = e {
            tracing::warn!(error = %e, "leaving the SoftAP");
        }
    };
    wifi::joined(plan, std::future::pending(), events, |joined| {
        if !address_given {
            let at = std::net::SocketAddr::new(joined.accessory_addr().ip(), speaks.default_port());
            request.accessory = AccessoryAddress::from_socket_addr(at);
        }
        request.bind_device = Some(joined.lease.interface.clone());
        speaks.run(request)
    })
    .await
}
