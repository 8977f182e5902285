//! `accessory scan`: the networks a Wi-Fi backend sees, and which look like accessories' SoftAPs.
//! The scanning is `provision::wifi::survey`; this module picks the backend and prints.

use provision::wifi::{BackendKind, SeenNetwork};

use crate::exit::{failed, ExitStatus};
use crate::output::{self, say};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  accessory scan                                  # the simulated SoftAPs (`accessory sim softap`)
  accessory scan --wifi networkmanager --json
  accessory scan --wifi wpa_supplicant --interface wlan0 --prefix Acme-

ACCESSORY says which look like an accessory's SoftAP: every network of the sim backend (its
registry lists only simulated accessories), else an SSID beginning with Accessory- (what `certs
mint` puts on a label), PROV_ (ESP-IDF's provisioning examples) or a --prefix.")]
pub struct Args {
    /// The backend that scans: `sim` (the SoftAP registry of `accessory sim softap`, no root
    /// needed to read it), `networkmanager` (`nmcli`'s D-Bus service), `wpa_supplicant` (its
    /// control socket: SCAN, SCAN_RESULTS).
    #[arg(long, value_name = "BACKEND", env = "ACCESSORY_WIFI", default_value = "sim",
          value_parser = scanning_backend())]
    pub wifi: BackendKind,
    /// The Wi-Fi interface (networkmanager, wpa_supplicant) [env: ACCESSORY_WIFI_INTERFACE;
    /// default: the backend's choice, wlan0 for wpa_supplicant].
    #[arg(long, value_name = "IFACE", env = "ACCESSORY_WIFI_INTERFACE")]
    pub interface: Option<String>,
    /// Also call networks whose SSID begins with this an accessory (repeatable).
    #[arg(long = "prefix", value_name = "PREFIX")]
    pub prefixes: Vec<String>,
    /// Print the networks as a JSON array.
    #[arg(long)]
    pub json: bool,
}

/// The backends that scan (`none` joins nothing and sees nothing), parsed into the enum.
fn scanning_backend() -> impl clap::builder::TypedValueParser<Value = BackendKind> {
    use clap::builder::TypedValueParser as _;
    let names: Vec<&'static str> = BackendKind::ALL
        .into_iter()
        .filter(|k| *k != BackendKind::None)
        .map(BackendKind::name)
        .collect();
    clap::builder::PossibleValuesParser::new(names)
        .map(|name| BackendKind::named(&name).expect("a possible value is a backend's name"))
}

pub async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let kind = args.wifi;
    let (interface, prefixes) = (args.interface.clone(), args.prefixes.clone());
    let seen = tokio::task::spawn_blocking(move || {
        let mut backend = provision::wifi::backend(kind, interface.as_deref())?;
        provision::wifi::survey(backend.as_mut(), &prefixes)
    })
    .await?
    .or_else(failed)?;
    if args.json {
        output::json(&seen)?;
        return Ok(ExitStatus::Success);
    }
    print_table(&seen);
    Ok(ExitStatus::Success)
}

fn print_table(seen: &[SeenNetwork]) {
    if seen.is_empty() {
        say!("no networks seen");
        return;
    }
    say!(
        "{:<32}  {:>6}  {:<10}  ACCESSORY",
        "SSID",
        "SIGNAL",
        "SECURITY"
    );
    for s in seen {
        let security = s.network.security.map_or("other", |k| k.as_str());
        say!(
            "{:<32}  {:>6}  {:<10}  {}",
            s.network.ssid,
            format!("{} dBm", s.network.signal_dbm),
            security,
            if s.accessory { "yes" } else { "no" }
        );
    }
}
