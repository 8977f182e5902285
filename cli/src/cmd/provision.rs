//! `accessory provision`: verify an accessory, send it the home network, confirm it joined, record
//! it. The flow is `provision::run`; this module reads the flags and the secrets, prints the outcome
//! or the diagnosis, and picks the exit status (README.md "Exit status").

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use provision::{
    AccessoryAddress, ClientCert, Event, ExpectedKey, FirstUse, FirstUseQuestion, Ledger, Network,
    Request, Secret, TrustInputs,
};

use crate::exit::{codes, fail, failed, ExitStatus};
use crate::output::{self, say};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  # pinned key, passphrase from a file
  accessory provision --accessory 192.168.4.1 --pin sha256/AbC... --device-id SIM-0001 \\
      --network-ssid Home --network-passphrase-file ~/.config/home.pass
  # the manufacturer root added to the trust store (`accessory trust add maker-root.pem --label maker`)
  accessory provision --accessory 192.168.4.1 --store --anchor maker --device-id SIM-0001 \\
      --network-ssid Home --network-passphrase-file ~/.config/home.pass
  # manufacturer root, proof of possession from the label
  accessory provision --accessory 192.168.4.1 --anchors maker-root.pem --device-id SIM-0001 \\
      --network-ssid Home --pop-file label.txt
  # first use, confirmed against the fingerprint on the label; passphrase from the environment
  ACCESSORY_NETWORK_PASSPHRASE=... accessory provision --accessory 192.168.4.1 --tofu \\
      --expect-fingerprint 3f:a1:... --device-id SIM-0001 --network-ssid Home --json
  # join the accessory's SoftAP first (here a namespace SoftAP from `accessory sim softap`, as root),
  # bind every connection to it, leave it afterwards
  accessory provision --wifi sim --ssid-prefix Accessory- --device-id SIM-0001 --pin sha256/... \\
      --network-ssid Home --network-passphrase-file home.pass
  # through NetworkManager, a WPA2 SoftAP whose passphrase is on the label
  accessory provision --wifi networkmanager --ssid Acme-3F2A --softap-passphrase-file label.pass ...

Names. A pin names the key, as an SSH host key does: with --pin or --tofu (no --anchors) and no
--device-id, --dns or --ip, no name is checked, on 192.168.4.1 or on loopback alike. With --anchors
and none of them, the certificate must name the address given to --accessory (a root vouches for
names, not keys). --device-id, --dns and --ip are checked in every mode. In every mode, the device
id the accessory reports (GET /v1/device) must be one its certificate names (subject CN or
serialNumber, or DNS <ID>.accessory.local; ASCII case ignored), else accessory.device_id_mismatch
(or accessory.device_id_unproven when it names none) and nothing secret is sent; the ledger
records an accessory only under that proven id.

The passphrase is read from --network-passphrase-file, else $ACCESSORY_NETWORK_PASSPHRASE, else a
prompt without echo when standard input is a terminal. It is never taken from the command line,
never logged, never stored, and sent only after the accessory was verified.

Progress: on a terminal one line shows the phase and the elapsed time (joining, connecting, TLS,
verifying, sending, waiting for the accessory to join and what it reports, leaving, recording); on
a pipe, one line per phase; --events FILE writes them as NDJSON.

Exit status: 0 joined, 3 bad input file, 4 refused by the trust policy (nothing sent), 5
unreachable or TLS failed, 6 the accessory reported failure, 7 deadline, 8 ledger; 130 after
Ctrl-C and 143 after SIGTERM, once the attempt is recorded as interrupted and a joined SoftAP left
(README.md).")]
#[command(subcommand_negates_reqs = true, args_conflicts_with_subcommands = true)]
pub struct Args {
    /// `provision fleet`: many accessories from an inventory.
    #[command(subcommand)]
    pub command: Option<Many>,

    /// The accessory's address, HOST[:PORT]; the port defaults to 443.
    #[arg(long, value_name = "HOST[:PORT]", value_parser = parse_target)]
    pub accessory: Option<AccessoryAddress>,

    /// Joining the accessory's SoftAP first (--wifi, --ssid, --ssid-prefix, --interface).
    #[command(flatten)]
    pub wifi: super::wifi_join::WifiArgs,

    /// Trust a key by its pin: `sha256/BASE64`, `sha256//BASE64` (curl) or 64 hex digits.
    /// Repeatable; any pin matches.
    #[arg(long = "pin", value_name = "PIN", value_parser = parse_pin)]
    pub pins: Vec<trust::Pin>,

    /// Trust certificates that chain to these roots (PEM file); nothing else, never system roots.
    #[arg(long, value_name = "FILE")]
    pub anchors: Option<PathBuf>,

    /// The trust store's anchors (--store [DIR]: all; --anchor LABEL: those), with --anchors'
    /// if both are given.
    #[command(flatten)]
    pub from_store: super::trust::store::StoreAnchorsArg,

    /// Trust on first use: record the key in the ledger the first time, refuse a different key
    /// later. A first use must be confirmed (--expect-fingerprint, or a yes at the prompt).
    #[arg(long)]
    pub tofu: bool,

    /// The key the accessory must present, from its label or QR code: the certificate's SHA-256
    /// (hex, colons allowed) or a pin `sha256/BASE64`. Checked in every mode when given.
    #[arg(long, value_name = "FP", value_parser = parse_expected)]
    pub expect_fingerprint: Option<ExpectedKey>,

    /// The device id on the label: the certificate must name it (subject CN or serialNumber, or
    /// DNS `<ID>.accessory.local`; ASCII case ignored) and the accessory must report it.
    #[arg(long, value_name = "ID")]
    pub device_id: Option<String>,

    /// The certificate must name this DNS name (a DNS SAN), for an accessory without a device id
    /// to ask for.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["device_id", "ip"])]
    pub dns: Option<String>,

    /// The certificate must name this IP address (an iPAddress SAN). Every unit's SoftAP is the
    /// same address, so this tells one unit from no other; prefer --device-id.
    #[arg(long, value_name = "IP", conflicts_with = "device_id")]
    pub ip: Option<std::net::IpAddr>,

    /// The home network to join. Without it, on a terminal: a numbered list of the networks the
    /// verified accessory sees (GET /v1/networks, or the API profile's networks list; with --wifi,
    /// asked after the join) to choose from; elsewhere an error.
    #[arg(long, value_name = "SSID")]
    pub network_ssid: Option<String>,

    /// A file holding the home network passphrase (one line). Without it: $ACCESSORY_NETWORK_PASSPHRASE,
    /// then a prompt on a terminal.
    #[arg(long, value_name = "FILE")]
    pub network_passphrase_file: Option<PathBuf>,

    /// The home network's security.
    #[arg(long, value_name = "KIND", default_value = "wpa2-psk",
          value_parser = provision::Security::ALL.map(provision::Security::as_str))]
    pub network_security: String,

    /// The home network is hidden (not broadcast).
    #[arg(long)]
    pub network_hidden: bool,

    /// A file holding the proof-of-possession code printed on the accessory's label.
    #[arg(long, value_name = "FILE")]
    pub pop_file: Option<PathBuf>,

    /// The accessory's label (docs/labels.md): label.txt from `certs mint`, a PNG or JPEG photo or
    /// scan of its QR code, or `-` for standard input. Fills --device-id, --ssid (with --wifi),
    /// --expect-fingerprint (and --pin when no trust mode is given) and the PoP code; a flag that
    /// contradicts it is an error. Never the payload itself: it carries the PoP code.
    #[arg(long, value_name = "FILE|-")]
    pub label: Option<String>,

    /// Client certificate (PEM or DER chain) for accessories that demand mutual TLS.
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,

    /// The client certificate's private key (PEM: PKCS#8, SEC1 or PKCS#1).
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,

    /// The whole run, from the first connect to "connected", in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub deadline: u64,

    /// The ledger file [default: $XDG_DATA_HOME/accessory/ledger.sqlite3].
    #[arg(long, value_name = "PATH", env = "ACCESSORY_LEDGER")]
    pub ledger: Option<PathBuf>,

    /// Print the outcome (or the failure and its diagnosis) as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub esp: super::esp::EspProvisionArgs,

    /// The accessory speaks its own HTTPS API, described by this API profile (docs/api-profiles.md;
    /// profiles/ has examples) [default: the built-in profile of the /v1 API]. Trust is unchanged.
    #[arg(long, value_name = "FILE", conflicts_with = "protocol")]
    pub api_profile: Option<PathBuf>,

    /// Progress as NDJSON (`--events`); on stderr the phase and elapsed time always show.
    #[command(flatten)]
    pub events: crate::progress::EventsArgs,
}

fn parse_target(s: &str) -> Result<AccessoryAddress, String> {
    s.parse::<AccessoryAddress>()
        .map_err(|e| format!("accessory address {s:?}: {e}"))
}

fn parse_pin(s: &str) -> Result<trust::Pin, String> {
    s.parse().map_err(|e: trust::Error| e.to_string())
}

fn parse_expected(s: &str) -> Result<ExpectedKey, String> {
    s.parse().map_err(|e: provision::Error| e.to_string())
}

/// Subcommands of `provision`.
#[derive(Debug, clap::Subcommand)]
pub enum Many {
    /// Provision every accessory of an inventory (CSV, TOML, JSON or a `sim fleet` manifest), N at
    /// a time, resumable.
    Fleet(Box<super::fleet::Args>),
}

pub async fn run(mut args: Args) -> anyhow::Result<ExitStatus> {
    if let Some(Many::Fleet(fleet)) = args.command {
        return super::fleet::run(*fleet).await;
    }
    // --label fills the flags it answers (and refuses those that contradict it) before anything
    // reads them.
    let label_pop = match args.label.clone() {
        Some(label) => Some(super::label::apply(
            &label,
            super::label::Flags {
                other_trust: args.anchors.is_some() || args.from_store.given() || args.tofu,
                device_id: &mut args.device_id,
                expect_fingerprint: &mut args.expect_fingerprint,
                pins: &mut args.pins,
                wifi: &mut args.wifi,
                pop_file: args.pop_file.as_deref(),
            },
        )?),
        None => None,
    };
    super::wifi_join::validate(&args.wifi, args.accessory.is_some())?;
    if args.api_profile.is_some() && (args.esp.is_esp() || args.esp.is_auto()) {
        return fail(
            codes::USAGE_CONFLICT,
            anyhow::anyhow!(
                "--api-profile describes the accessory's own HTTPS API; --protocol esp or auto does not apply to it"
            ),
        );
    }
    let api = match &args.api_profile {
        Some(path) => provision::LoadedProfile::load(path).or_else(failed)?,
        None => provision::LoadedProfile::v1(),
    };
    // No --network-ssid: on a terminal, chosen from the verified accessory's own list (asked over
    // a session verified as the run's is; the listing request reads no passphrase). With --wifi
    // it is asked after the join, on the joined SoftAP (`choose_after_join`): one join.
    let choose_after_join = args.network_ssid.is_none() && args.wifi.wifi.is_some();
    if args.network_ssid.is_none() {
        super::choose_network::check(args.json, args.esp.is_esp() || args.esp.is_auto(), &api)?;
    }
    if args.network_ssid.is_none() && !choose_after_join {
        let mut listing = build_request(&args)?;
        if label_pop.is_some() {
            listing.pop = label_pop.clone();
        }
        let chosen = super::choose_network::choose(&listing, &api).await?;
        if !chosen.security.is_empty() {
            args.network_security = chosen.security;
        }
        args.network_ssid = Some(chosen.ssid);
    }
    let mut request = build_request(&args)?;
    if label_pop.is_some() {
        request.pop = label_pop;
    }
    let esp = match args.esp.is_esp() {
        true => Some(args.esp.proof(request.pop.take())?),
        false => None,
    };
    // `--protocol auto`: SRP credentials read now (bad input fails before touching Wi-Fi).
    let auto = match args.esp.is_auto() {
        true => Some(args.esp.srp()?),
        false => None,
    };
    let api = &api;
    let plan = super::wifi_join::plan(&args.wifi, args.device_id.as_deref())?;
    // From here on Ctrl-C and SIGTERM end the run cleanly: the attempt is recorded as
    // interrupted, a joined SoftAP left, then exit 130 or 143 (README.md "Exit status").
    let shutdown = crate::signal::Shutdown::install();
    let progress = crate::progress::Progress::start(&args.events)?;
    let observer = progress.observer().clone();
    // Join after every input was read (bad input fails before touching Wi-Fi); leave on every path.
    let result = match plan {
        None => match (esp, auto) {
            (Some((transport, proof)), _) => {
                provision::esp::run(request, transport, proof, shutdown.wait()).await
            }
            (None, Some(srp)) => {
                provision::esp::run_detected(request, srp, &observer, shutdown.wait()).await
            }
            (None, None) => provision::run_profiled(request, api, &observer, shutdown.wait()).await,
        },
        Some(plan) => {
            let given = args.accessory.clone();
            // The lifecycle hears the signal only while joining: once the run started, the run
            // hears it, records the attempt as interrupted and returns, and the lifecycle leaves
            // the SoftAP as after any other failure.
            let running = Arc::new(AtomicBool::new(false));
            let while_joining = {
                let (signal, running) = (shutdown.wait(), Arc::clone(&running));
                async move {
                    signal.await;
                    if running.load(Ordering::SeqCst) {
                        std::future::pending::<()>().await;
                    }
                }
            };
            // An ESP-IDF device serves protocomm on port 80 over HTTP (443 over HTTPS).
            let port = match &esp {
                Some((provision::esp::EspTransport::Http, _)) => 80,
                _ => provision::DEFAULT_PORT,
            };
            let (passphrase_file, security) = (
                args.network_passphrase_file.clone(),
                args.network_security.clone(),
            );
            let work = |j: &provision::wifi::Joined| {
                let at = std::net::SocketAddr::new(j.accessory_addr().ip(), port);
                request.accessory = given.unwrap_or_else(|| AccessoryAddress::from_socket_addr(at));
                request.bind_device = Some(j.lease.interface.clone());
                let (observer, signal) = (observer.clone(), shutdown.wait());
                async move {
                    // Until the run starts (while listing and choosing) the lifecycle hears a
                    // signal and leaves.
                    if choose_after_join {
                        let chosen =
                            choose_joined(&mut request, api, passphrase_file, security).await;
                        if let Err(e) = chosen {
                            observer.emit(Event::Leaving);
                            return Err(e);
                        }
                    }
                    running.store(true, Ordering::SeqCst);
                    let result = match (esp, auto) {
                        (Some((transport, proof)), _) => {
                            provision::esp::run(request, transport, proof, signal).await
                        }
                        (None, Some(srp)) => {
                            provision::esp::run_detected(request, srp, &observer, signal).await
                        }
                        (None, None) => {
                            provision::run_profiled(request, api, &observer, signal).await
                        }
                    };
                    observer.emit(Event::Leaving);
                    Ok(result)
                }
            };
            observer.emit(Event::Joining {
                ssid: args
                    .wifi
                    .ssid
                    .clone()
                    .or_else(|| args.wifi.ssid_prefix.clone()),
            });
            provision::wifi::joined(plan, while_joining, super::wifi_join::report, work)
                .await
                .or_else(failed)??
        }
    };
    drop(progress);
    let json = args.json;
    match result {
        Ok(outcome) => {
            if json {
                output::json(&outcome)?;
            } else {
                say!("{outcome}");
            }
            Ok(ExitStatus::Success)
        }
        Err(failure) => {
            if let Some(warning) = failure.key_changed_warning(args.ledger.as_deref()) {
                eprint!("{warning}");
            }
            if json {
                output::json(&failure)?;
            } else {
                eprint!("{}", failure.explanation());
            }
            let code = failure.diagnosis.code;
            // The error's own text, once: its sources are already in it.
            fail(code, anyhow::anyhow!("{}", failure.error))
        }
    }
}

/// On the joined SoftAP: the networks the verified accessory sees, the person's choice, then its
/// passphrase (file, environment or prompt, as `--network-ssid` would read it) into `request`.
async fn choose_joined(
    request: &mut Request,
    api: &provision::LoadedProfile,
    passphrase_file: Option<PathBuf>,
    security: String,
) -> anyhow::Result<()> {
    let chosen = super::choose_network::choose(request, api).await?;
    let security = match chosen.security.is_empty() {
        true => security,
        false => chosen.security,
    };
    // `choose` refused a security this tool cannot send; clap admits only the ones it can.
    let security = security
        .parse::<provision::Security>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ssid = chosen.ssid;
    let passphrase = match security.needs_passphrase() {
        false => Secret::new(String::new()),
        true => {
            let ssid = ssid.clone();
            tokio::task::spawn_blocking(move || {
                Secret::network_passphrase(passphrase_file.as_deref(), &ssid)
            })
            .await?
            .or_else(failed)?
        }
    };
    request.network = Network {
        ssid,
        passphrase,
        security,
        hidden: request.network.hidden,
    };
    Ok(())
}

fn build_request(args: &Args) -> anyhow::Result<Request> {
    let accessory = match args.accessory.clone() {
        Some(a) => a,
        // Joining the SoftAP (--wifi) supplies it: the lease's router, set after the join.
        None if args.wifi.wifi.is_some() => AccessoryAddress::from_socket_addr(
            std::net::SocketAddr::from(([192, 168, 4, 1], provision::DEFAULT_PORT)),
        ),
        None => {
            return fail(
                codes::USAGE_NO_ACCESSORY,
                anyhow::anyhow!("give the accessory's address with --accessory HOST[:PORT]"),
            )
        }
    };
    // ESP-IDF over plain HTTP has no certificate: its peer is proven by the PoP or SRP proof.
    if args.pins.is_empty()
        && args.anchors.is_none()
        && !args.from_store.given()
        && !args.tofu
        && !args.esp.is_esp()
        && !args.esp.is_auto()
    {
        return fail(codes::POLICY_EMPTY,
            anyhow::anyhow!(
                "no trust policy: give --pin, --anchors or --tofu (nothing here accepts every certificate)"
            ),
        );
    }
    let anchors = match (&args.anchors, args.from_store.certificates()?) {
        (Some(path), None) => Some(trust::Anchors::from_pem_file(path).or_else(failed)?),
        (file, Some(mut roots)) => {
            if let Some(path) = file {
                roots.extend(trust::load_certificates(path).or_else(failed)?);
            }
            Some(trust::Anchors::from_certificates(roots).or_else(failed)?)
        }
        (None, None) => None,
    };
    // `None` only for the listing request of an interactive choice (no passphrase is read for it).
    let network_ssid = args.network_ssid.clone().unwrap_or_default();
    let passphrase = if args.network_security == "open" || args.network_ssid.is_none() {
        Secret::new(String::new())
    } else {
        Secret::network_passphrase(args.network_passphrase_file.as_deref(), &network_ssid)
            .or_else(failed)?
    };
    let pop = match &args.pop_file {
        Some(path) => Some(read_secret_file(path, "proof-of-possession code")?),
        None => None,
    };
    let client_identity = match (&args.client_cert, &args.client_key) {
        (Some(cert), Some(key)) => Some(ClientCert::from_files(cert, key).or_else(failed)?),
        _ => None,
    };
    let ledger = Arc::new(Ledger::open_or_default(args.ledger.clone()).or_else(failed)?);
    let first_use = if args.expect_fingerprint.is_none()
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal()
    {
        FirstUse::Ask(Arc::new(FirstUseQuestion::ask_at_terminal))
    } else {
        FirstUse::Refuse
    };
    Ok(Request {
        accessory,
        bind_device: None,
        trust: TrustInputs {
            pins: args.pins.clone(),
            anchors,
            tofu: args.tofu,
            expect: args.expect_fingerprint.clone(),
            name: trust::Identity::chosen(None, args.dns.clone(), args.ip),
        },
        device_id: args.device_id.clone(),
        network: Network {
            ssid: network_ssid,
            passphrase,
            // clap admits only the four spellings `Security` parses.
            security: args
                .network_security
                .parse::<provision::Security>()
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            hidden: args.network_hidden,
        },
        pop,
        client_identity,
        deadline: Duration::from_secs(args.deadline),
        ledger: Some(ledger),
        first_use,
    })
}

/// A one-line secret file (`provision::Secret::from_file`: bounded, wiped, one error type).
fn read_secret_file(path: &Path, what: &'static str) -> anyhow::Result<Secret> {
    Secret::from_file(path, what).or_else(failed)
}
