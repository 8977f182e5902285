//! `accessory sim softap`: a simulated accessory behind a SoftAP in a network namespace (root).
//!
//! Builds the namespace (veth pair, dnsmasq, the accessory's HTTPS server at 192.168.4.1:443),
//! advertises the SSID in the registry the `sim` Wi-Fi backend scans, writes the files a tester
//! needs (anchors, pin, the simulated home network's test passphrase), prints how to provision it,
//! and serves until Ctrl-C or SIGTERM, then removes everything. SoftAPs left by a killed process
//! are swept first.

use std::path::PathBuf;

use accessory_sim::{EspSimulator, Handout, LinkFault, Simulator, SoftAp, SoftApConfig};
use provision::Secret;

use accessory_sim::Scenario;

use super::scenario::ScenarioArgs;
use crate::exit::{codes, fail, failed, ExitStatus, Failure};
use crate::output::say;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples (as root):
  accessory sim softap                                    # open SoftAP `Accessory-0001`, accessory SIM-0001
  accessory sim softap --ssid Acme-3F2A --passphrase-file label.pass --device-id ACME-00003F2A
  accessory sim softap --link-fault flap=8s@2s            # link down 8 s, 2 s after a station joins
  accessory sim softap --link-fault no-route              # the station's connects fail with EHOSTUNREACH
  accessory sim softap --link-fault latency=50ms --json   # 100 ms round trips, through a relay
  accessory sim softap --protocol esp --esp-security 1    # an ESP-IDF device (protocomm on port 80)
  accessory sim softap --api-profile profiles/shelly-gen2-like.toml  # speaking an API profile

Then, in another shell (also root):
  accessory provision --wifi sim --ssid Accessory-0001 --device-id SIM-0001 --pin sha256/... \\
      --network-ssid Home --network-passphrase-file /tmp/accessory-softap/SIM-0001/Home.passphrase

Link faults: flap[=DOWN@AFTER] (default 2s@8s: down 8 s after the first lease, as a field report
saw; the 2 s is unverified), no-route, latency=DELAY (each way).
The registry is /run/accessory-softap/ (or $ACCESSORY_SOFTAP_DIR); `ip netns list` shows asap-*.")]
pub struct SoftapArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The SSID to advertise [default: Accessory-<last 4 characters of the device id>].
    #[arg(long, value_name = "SSID")]
    pub ssid: Option<String>,
    /// A file holding the SoftAP's WPA2 passphrase (8-63 characters), as printed on a label; without
    /// it (and without $ACCESSORY_SOFTAP_PASSPHRASE) the SoftAP is open.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// The signal strength stations see, in dBm [default: -45].
    #[arg(long, value_name = "DBM", default_value_t = -45, allow_hyphen_values = true)]
    pub signal: i32,
    /// A link fault (repeatable): flap[=DOWN@AFTER], no-route, latency=DELAY.
    #[arg(long = "link-fault", value_name = "FAULT")]
    pub link_faults: Vec<LinkFault>,
    /// Directory for the anchors, pin and test passphrase files, kept at exit [default: a private
    /// directory of this run (as `accessory sim`: softap-<device-id>-XXXXXX), removed at exit].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Serve the certificate and key `accessory certs mint` wrote into DIR (as `accessory sim
    /// --minted`): with the default SSID, the unit its label describes.
    #[arg(long, value_name = "DIR")]
    pub minted: Option<PathBuf>,
    /// Print the startup information as one line of JSON on stdout, then serve.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub esp: super::esp::EspSimArgs,
    /// Answer the HTTPS API an API profile describes instead of `/v1` (docs/api-profiles.md), as
    /// `accessory sim --api-profile` does; the printed command carries it.
    #[arg(long, value_name = "FILE", conflicts_with = "protocol")]
    pub api_profile: Option<PathBuf>,
}

/// What `sim softap --protocol esp` prints: the ESP-IDF device's files and command, and its SoftAP.
#[derive(Debug, serde::Serialize)]
struct EspSoftApHandout {
    #[serde(flatten)]
    esp: super::esp::EspHandout,
    ssid: String,
    namespace: String,
    station_interface: String,
    accessory: std::net::SocketAddr,
    registry_entry: PathBuf,
}

pub async fn run(
    args: SoftapArgs,
    scenario: anyhow::Result<Scenario>,
) -> anyhow::Result<ExitStatus> {
    if !accessory_sim::is_root() {
        return fail(codes::SOFTAP_NOT_ROOT,
            anyhow::anyhow!(
                "`accessory sim softap` builds a network namespace and needs root; without root, run `accessory sim` on loopback"
            ),
        );
    }
    let shutdown = crate::signal::shutdown();
    let mut scenario = scenario?;
    if let Some(path) = &args.api_profile {
        let served = accessory_sim::ServedProfile::load(path).map_err(Failure::of)?;
        scenario.api_profile = Some(std::sync::Arc::new(served));
    }
    let passphrase = Secret::softap_passphrase(args.passphrase_file.as_deref()).or_else(failed)?;
    let id = scenario.id.clone();
    let ssid = args
        .ssid
        .clone()
        .unwrap_or_else(|| protocol::softap::default_ssid(&id));
    let mut config = match &passphrase {
        Some(p) => SoftApConfig::wpa2(&ssid, p.expose()),
        None => SoftApConfig::open(&ssid),
    };
    config.signal_dbm = args.signal;
    config.faults = args.link_faults.clone();
    let swept = tokio::task::spawn_blocking(accessory_sim::sweep_stale_softaps).await?;
    if swept > 0 {
        eprintln!("accessory: removed {swept} SoftAP(s) left by a process that was killed");
    }
    super::scenario::refuse_certificate_faults(args.minted.is_some(), &scenario)?;
    if args.esp.protocol == super::esp::WireProtocol::Esp {
        if args.minted.is_some() {
            return fail(
                codes::USAGE_CONFLICT,
                anyhow::anyhow!("--minted is not served by --protocol esp yet; leave one out"),
            );
        }
        return serve_esp(args, config, scenario, shutdown).await;
    }
    let minted = args.minted.clone();
    let started = tokio::task::spawn_blocking(move || {
        SoftAp::start(config, move |listen| async move {
            match minted {
                Some(dir) => Simulator::start_minted(scenario, listen, &dir).await,
                None => Simulator::start(scenario, listen).await,
            }
            .map_err(|e| e.to_string())
        })
    })
    .await?;
    let (softap, sim) = started.map_err(Failure::of)?;

    let files = Handout::chosen_or_private(args.out.as_deref(), &format!("softap-{id}"))
        .map_err(Failure::of);
    let (mut startup, files) = match files.and_then(|h| {
        h.write_softap(&softap, &sim, &args.link_faults)
            .map(|s| (s, h))
            .map_err(Failure::of)
    }) {
        Ok(s) => s,
        Err(e) => {
            tokio::task::spawn_blocking(move || softap.stop()).await?;
            return Err(e.into());
        }
    };
    if let Some(path) = &args.api_profile {
        startup
            .provision
            .push_str(&super::scenario::api_profile_flag(path));
    }
    if args.json {
        crate::output::json_line(&startup)?;
    } else {
        crate::output::bytes(startup.to_string().as_bytes());
        say!("Serving until Ctrl-C.");
    }
    shutdown.await;
    eprintln!("accessory: stopping the SoftAP {}", startup.ssid);
    drop(sim);
    tokio::task::spawn_blocking(move || softap.stop()).await?;
    drop(files);
    Ok(ExitStatus::Success)
}

/// `sim softap --protocol esp`: an ESP-IDF device behind the SoftAP, on port 80 (HTTP) or 443.
async fn serve_esp(
    args: SoftapArgs,
    mut config: SoftApConfig,
    scenario: Scenario,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<ExitStatus> {
    config.port = super::esp::port(args.esp.esp_transport);
    let id = scenario.id.clone();
    let files = Handout::chosen_or_private(args.out.as_deref(), &format!("softap-{id}"))
        .map_err(Failure::of)?;
    let (options, proofs) = super::esp::options(&args.esp, &scenario, &files)?;
    let started = tokio::task::spawn_blocking(move || {
        SoftAp::start(config, move |listen| async move {
            EspSimulator::start(scenario, listen, options)
                .await
                .map_err(|e| e.to_string())
        })
    })
    .await?;
    let (softap, sim) = started.map_err(Failure::of)?;
    let esp = match super::esp::write(&files, &sim, &args.esp, proofs, Some(softap.ssid())) {
        Ok(esp) => esp,
        Err(e) => {
            tokio::task::spawn_blocking(move || softap.stop()).await?;
            return Err(e);
        }
    };
    let entry = softap.entry();
    let startup = EspSoftApHandout {
        esp,
        ssid: entry.ssid.clone(),
        namespace: entry.namespace.clone(),
        station_interface: entry.station_interface.clone(),
        accessory: softap.accessory_addr(),
        registry_entry: entry.path_in(&accessory_sim::softap_registry_dir()),
    };
    if args.json {
        crate::output::json_line(&startup)?;
    } else {
        say!(
            "ESP-IDF accessory {} behind SoftAP {} at {}",
            startup.esp.device_id(),
            startup.ssid,
            startup.accessory
        );
        say!("Provision it with:\n  {}", startup.esp.provision());
        say!("Serving until Ctrl-C.");
    }
    shutdown.await;
    eprintln!("accessory: stopping the SoftAP {}", startup.ssid);
    drop(sim);
    tokio::task::spawn_blocking(move || softap.stop()).await?;
    drop(files);
    Ok(ExitStatus::Success)
}
