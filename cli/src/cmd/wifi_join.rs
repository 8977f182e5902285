//! The Wi-Fi part of `accessory provision`: `--wifi BACKEND --ssid S | --ssid-prefix P`, joining the
//! accessory's SoftAP before the flow and leaving it (restoring the previous connection) after, on
//! success, on failure and on Ctrl-C or SIGTERM. The join layer is `provision::wifi`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use provision::wifi::{self, BackendKind, Joined, Wanted, WifiBackend, WifiError};
use provision::Secret;

use crate::exit::{fail, Status};

/// The environment variable the SoftAP's own passphrase (from the label) may come from.
pub const SOFTAP_PASSPHRASE_ENV: &str = "ACCESSORY_SOFTAP_PASSPHRASE";

#[derive(Debug, Clone, clap::Args)]
pub struct WifiArgs {
    /// Join the accessory's SoftAP first, with this backend: `sim` (a namespace SoftAP from
    /// `accessory sim softap`; root), `networkmanager` (D-Bus), `wpa_supplicant` (control socket),
    /// `none` (already joined; give --interface to bind to it) [default: no joining].
    #[arg(long, value_name = "BACKEND", env = "ACCESSORY_WIFI",
          value_parser = ["sim", "networkmanager", "wpa_supplicant", "none"])]
    pub wifi: Option<String>,

    /// The SoftAP's exact SSID.
    #[arg(long, value_name = "SSID", conflicts_with = "ssid_prefix")]
    pub ssid: Option<String>,

    /// Any SoftAP whose SSID starts with this; the strongest if one; several need --device-id.
    #[arg(long, value_name = "PREFIX")]
    pub ssid_prefix: Option<String>,

    /// The Wi-Fi interface (networkmanager, wpa_supplicant), or the already-joined one (none)
    /// [env: ACCESSORY_WIFI_INTERFACE; default: the backend's choice, wlan0 for wpa_supplicant].
    #[arg(long, value_name = "IFACE", env = "ACCESSORY_WIFI_INTERFACE")]
    pub interface: Option<String>,

    /// A file holding the SoftAP's own passphrase (from the accessory's label), for a secured
    /// SoftAP. Without it: $ACCESSORY_SOFTAP_PASSPHRASE. Never taken from the command line.
    #[arg(long, value_name = "FILE")]
    pub softap_passphrase_file: Option<PathBuf>,

    /// How long joining may take, scan to address, in seconds [default: 30].
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub join_timeout: u64,
}

/// A joined SoftAP; [`Session::leave`] puts the station back.
pub struct Session {
    backend: Box<dyn WifiBackend>,
    pub joined: Joined,
}

impl Session {
    /// Where the accessory is: `--accessory` if given, else the lease's router on port 443.
    pub fn accessory(&self, given: Option<&provision::Target>) -> provision::Target {
        match given {
            Some(t) => t.clone(),
            None => {
                let router = self
                    .joined
                    .lease
                    .router
                    .unwrap_or(std::net::Ipv4Addr::new(192, 168, 4, 1));
                provision::Target::from_addr(SocketAddr::from((router, provision::DEFAULT_PORT)))
            }
        }
    }

    /// The interface every connection is bound to.
    pub fn interface(&self) -> &str {
        &self.joined.lease.interface
    }

    /// Leaves and restores; a failure here is reported on stderr but does not change the outcome.
    pub async fn leave(mut self) {
        let result = tokio::task::spawn_blocking(move || wifi::leave(self.backend.as_mut())).await;
        match result {
            Ok(Ok(())) => tracing::info!("left the SoftAP and restored the previous connection"),
            Ok(Err(e)) => eprintln!("accessory: warning: leaving the SoftAP: {e} [{}]", e.code()),
            Err(e) => eprintln!("accessory: warning: leaving the SoftAP: {e}"),
        }
    }
}

fn wifi_failure(e: WifiError) -> anyhow::Error {
    let status = match &e {
        WifiError::NotFound { .. } | WifiError::Dhcp { .. } => Status::Unreachable,
        WifiError::Ambiguous { .. } | WifiError::PassphraseRequired { .. } => Status::Usage,
        WifiError::AuthFailed { .. } => Status::Unreachable,
        WifiError::NotPermitted { .. } => Status::LocalState,
        _ => Status::LocalState,
    };
    let code = e.code();
    crate::exit::Failure::new(status, code, e).into()
}

/// Checks the flags without touching the network (so bad input fails before joining).
pub fn validate(args: &WifiArgs, have_accessory: bool) -> anyhow::Result<()> {
    let Some(name) = &args.wifi else {
        if args.ssid.is_some() || args.ssid_prefix.is_some() {
            return fail(
                Status::Usage,
                "usage.ssid_without_wifi",
                anyhow::anyhow!("--ssid and --ssid-prefix need --wifi BACKEND (sim, networkmanager, wpa_supplicant)"),
            );
        }
        if !have_accessory {
            return fail(
                Status::Usage,
                "usage.no_accessory",
                anyhow::anyhow!("give the accessory's address with --accessory HOST[:PORT], or join its SoftAP with --wifi BACKEND --ssid SSID"),
            );
        }
        return Ok(());
    };
    let kind: BackendKind = name.parse().map_err(|e: String| {
        crate::exit::Failure::new(Status::Usage, "usage.wifi", anyhow::anyhow!(e))
    })?;
    if kind != BackendKind::None && args.ssid.is_none() && args.ssid_prefix.is_none() {
        return fail(
            Status::Usage,
            "usage.no_ssid",
            anyhow::anyhow!("--wifi {kind} needs --ssid SSID or --ssid-prefix PREFIX"),
        );
    }
    if kind == BackendKind::None && args.interface.is_none() && !have_accessory {
        return fail(
            Status::Usage,
            "usage.no_accessory",
            anyhow::anyhow!("--wifi none needs --interface IFACE (to bind to) or --accessory HOST"),
        );
    }
    Ok(())
}

/// `--softap-passphrase-file`, else $ACCESSORY_SOFTAP_PASSPHRASE, else none (an open SoftAP).
fn softap_passphrase(args: &WifiArgs) -> anyhow::Result<Option<Secret>> {
    if let Some(path) = &args.softap_passphrase_file {
        return match Secret::from_file(path, "SoftAP passphrase") {
            Ok(s) => Ok(Some(s)),
            Err(e) => fail(Status::BadInput, e.code(), e),
        };
    }
    Ok(std::env::var(SOFTAP_PASSPHRASE_ENV).ok().map(Secret::new))
}

/// Joins when `--wifi` was given; returns `None` otherwise. Interruptible: on Ctrl-C or SIGTERM the
/// join is allowed to finish (it is bounded by --join-timeout), then left, and the run ends.
pub async fn join(args: &WifiArgs, device_id: Option<&str>) -> anyhow::Result<Option<Session>> {
    let Some(name) = &args.wifi else {
        return Ok(None);
    };
    let kind: BackendKind = name.parse().map_err(|e: String| {
        crate::exit::Failure::new(Status::Usage, "usage.wifi", anyhow::anyhow!(e))
    })?;
    let passphrase = softap_passphrase(args)?;
    let wanted = match (&args.ssid, &args.ssid_prefix) {
        (Some(s), _) => Some(Wanted::Ssid(s.clone())),
        (None, Some(p)) => Some(Wanted::Prefix(p.clone())),
        (None, None) => None,
    };
    let interface = args.interface.clone();
    let device_id = device_id.map(str::to_owned);
    let timeout = Duration::from_secs(args.join_timeout);
    let task = tokio::task::spawn_blocking(move || {
        let mut backend = wifi::backend(kind, interface.as_deref())?;
        let joined = wifi::join(
            backend.as_mut(),
            wanted.as_ref(),
            device_id.as_deref(),
            passphrase.as_ref().map(Secret::expose),
            timeout,
        )?;
        Ok::<_, WifiError>(Session { backend, joined })
    });
    tokio::pin!(task);
    let interrupted = tokio::select! {
        r = &mut task => return finish_join(r),
        _ = crate::signal::shutdown() => true,
    };
    debug_assert!(interrupted);
    eprintln!("accessory: interrupted while joining; leaving the SoftAP");
    if let Ok(Ok(session)) = task.await {
        session.leave().await;
    }
    fail(
        Status::Interrupted,
        "interrupted",
        anyhow::anyhow!(
            "interrupted while joining the SoftAP; the previous connection was restored"
        ),
    )
}

fn finish_join(
    r: Result<Result<Session, WifiError>, tokio::task::JoinError>,
) -> anyhow::Result<Option<Session>> {
    match r {
        Ok(Ok(session)) => {
            let j = &session.joined;
            eprintln!(
                "accessory: joined {} on {} as {}/{} (accessory {}) in {} ms",
                j.network
                    .as_ref()
                    .map_or("(already joined)", |n| n.ssid.as_str()),
                j.lease.interface,
                j.lease.address,
                j.lease.prefix_len,
                j.lease
                    .router
                    .map_or_else(|| "unknown".to_owned(), |r| r.to_string()),
                j.took.as_millis()
            );
            Ok(Some(session))
        }
        Ok(Err(e)) => Err(wifi_failure(e)),
        Err(e) => fail(
            Status::Internal,
            "internal",
            anyhow::anyhow!("the join task failed: {e}"),
        ),
    }
}
