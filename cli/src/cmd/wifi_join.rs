//! The Wi-Fi part of `accessory provision`: `--wifi BACKEND --ssid S | --ssid-prefix P`, joining the
//! accessory's SoftAP before the flow and leaving it (restoring the previous connection) after, on
//! success, on failure and on Ctrl-C or SIGTERM. The lifecycle is `provision::wifi::joined`; this
//! module turns the flags into its plan and prints its events.

use std::path::PathBuf;
use std::time::Duration;

use provision::wifi::{BackendKind, JoinEvent, JoinPlan, Phase, Wanted};
use provision::Secret;

use crate::exit::{codes, fail, failed};

#[derive(Debug, Clone, clap::Args)]
pub struct WifiArgs {
    /// Join the accessory's SoftAP first, with this backend: `sim` (a namespace SoftAP from
    /// `accessory sim softap`; root), `networkmanager` (D-Bus), `wpa_supplicant` (control socket),
    /// `none` (already joined; give --interface to bind to it) [default: no joining].
    #[arg(long, value_name = "BACKEND", env = "ACCESSORY_WIFI", value_parser = backend_parser())]
    pub wifi: Option<BackendKind>,

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

/// `--wifi`: one of the backends' names (clap lists them in help and errors), parsed once, into the
/// enum.
pub(crate) fn backend_parser() -> impl clap::builder::TypedValueParser<Value = BackendKind> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(BackendKind::NAMES)
        .map(|name| BackendKind::named(&name).expect("a possible value is a backend's name"))
}

/// Checks the flags without touching the network (so bad input fails before joining).
pub fn validate(args: &WifiArgs, have_accessory: bool) -> anyhow::Result<()> {
    let Some(kind) = args.wifi else {
        if args.ssid.is_some() || args.ssid_prefix.is_some() {
            return fail(codes::USAGE_SSID_WITHOUT_WIFI,
                anyhow::anyhow!("--ssid and --ssid-prefix need --wifi BACKEND (sim, networkmanager, wpa_supplicant)"),
            );
        }
        if !have_accessory {
            return fail(codes::USAGE_NO_ACCESSORY,
                anyhow::anyhow!("give the accessory's address with --accessory HOST[:PORT], or join its SoftAP with --wifi BACKEND --ssid SSID"),
            );
        }
        return Ok(());
    };
    if kind != BackendKind::None && args.ssid.is_none() && args.ssid_prefix.is_none() {
        return fail(
            codes::USAGE_NO_SSID,
            anyhow::anyhow!("--wifi {kind} needs --ssid SSID or --ssid-prefix PREFIX"),
        );
    }
    if kind == BackendKind::None && args.interface.is_none() && !have_accessory {
        return fail(
            codes::USAGE_NO_ACCESSORY,
            anyhow::anyhow!("--wifi none needs --interface IFACE (to bind to) or --accessory HOST"),
        );
    }
    Ok(())
}

/// The join plan when `--wifi` was given (reading the SoftAP passphrase); `None` otherwise.
pub fn plan(args: &WifiArgs, device_id: Option<&str>) -> anyhow::Result<Option<JoinPlan>> {
    let Some(kind) = args.wifi else {
        return Ok(None);
    };
    let timeout = Duration::from_secs(args.join_timeout);
    let mut plan = JoinPlan::new(kind, args.interface.clone(), timeout);
    plan.passphrase =
        Secret::softap_passphrase(args.softap_passphrase_file.as_deref()).or_else(failed)?;
    plan.wanted = match (&args.ssid, &args.ssid_prefix) {
        (Some(s), _) => Some(Wanted::Ssid(s.clone())),
        (None, Some(p)) => Some(Wanted::Prefix(p.clone())),
        (None, None) => None,
    };
    plan.device_id = device_id.map(str::to_owned);
    Ok(Some(plan))
}

/// Tells the user what the Wi-Fi lifecycle did, on stderr.
pub fn report(event: JoinEvent<'_>) {
    match event {
        JoinEvent::Joined(j) => eprintln!(
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
        ),
        JoinEvent::Interrupted(Phase::Joining) => {
            eprintln!("accessory: interrupted while joining; leaving the SoftAP")
        }
        JoinEvent::Interrupted(_) => eprintln!("accessory: interrupted; leaving the SoftAP"),
        JoinEvent::LeaveFailed(e) => {
            eprintln!("accessory: warning: leaving the SoftAP: {e} [{}]", e.code())
        }
        JoinEvent::Left => tracing::info!("left the SoftAP and restored the previous connection"),
        _ => {}
    }
}
