//! `accessory provision fleet`: provision every accessory of an inventory from one process
//! (docs/fleet.md). The run is `provision::fleet::run`; this module reads the flags and the home
//! network passphrase, draws progress (a bar on a terminal, one line per event on a pipe, NDJSON
//! with `--events`), prints the report and picks the exit status.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use provision::fleet::{Disposition, FleetEvent, FleetOptions, Inventory, Radio, Radios, Report};
use provision::{Ledger, Network, Secret};

use crate::exit::{fail, failed, ExitStatus, Failure};
use crate::output;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  # the manifest `accessory sim fleet` wrote: 8 at a time, progress on the terminal
  accessory provision fleet --inventory fleet/manifest.json --parallel 8 \\
      --network-ssid Home --network-passphrase-file home.pass
  # a CSV inventory, events as NDJSON for a dashboard, the report as CSV
  accessory provision fleet --inventory line-3.csv --events --report-csv line-3-report.csv ...

Resuming: the ledger knows what is done. Running the same inventory again skips every accessory
with a successful attempt (--force redoes them) and retries the failed ones. Ctrl-C starts nothing
new, lets the accessories in flight finish, and prints where it stopped.

Exit status: 0 every accessory is provisioned (now or before), 130 interrupted, 3 the inventory or a
file it names cannot be used (nothing was contacted), 8 ledger (or, when nothing failed, accessories
held by another station's claim: run again after its --lease); otherwise the status of the first
failed accessory in inventory order (4 untrusted, 5 unreachable, 6 the accessory failed, 7 deadline).")]
pub struct Args {
    /// The inventory: CSV (header line), TOML (`[[accessories]]`) or JSON (rows, or the manifest
    /// `accessory sim fleet` writes); the extension names the format. See docs/fleet.md.
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,

    /// How many accessories at once, over addresses [default: 1].
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallel: u16,

    /// Provision again the accessories the ledger says succeeded.
    #[arg(long)]
    pub force: bool,

    /// The home network for rows that name none (their `network_ssid`).
    #[arg(long, value_name = "SSID")]
    pub network_ssid: Option<String>,

    /// A file holding that network's passphrase (one line). Without it:
    /// $ACCESSORY_NETWORK_PASSPHRASE, then a prompt on a terminal.
    #[arg(long, value_name = "FILE")]
    pub network_passphrase_file: Option<PathBuf>,

    /// The home network's security.
    #[arg(long, value_name = "KIND", default_value = "wpa2-psk",
          value_parser = provision::Security::ALL.map(provision::Security::as_str))]
    pub network_security: String,

    /// The home network is hidden (not broadcast).
    #[arg(long)]
    pub network_hidden: bool,

    /// Each accessory's deadline, from the first connect to "connected", in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub deadline: u64,

    /// How long this station's claim on an accessory lasts (`90`, `90s`, `5m`, `1h`) [default: the
    /// deadline and a minute]. Another station takes over an accessory whose lease ran out, so a
    /// station that dies holds its accessories this long at most. At least the deadline and 5 s:
    /// a claim is not renewed while it is worked on, and a lease that ran out mid-accessory would
    /// let another station provision it a second time.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lease: Option<Duration>,

    /// Join the SoftAP of rows that name one (`softap_ssid`) with this backend: `sim`,
    /// `networkmanager`, `wpa_supplicant` (see `accessory provision --help`).
    #[arg(long, value_name = "BACKEND", value_parser = super::wifi_join::backend_parser())]
    pub wifi: Option<provision::wifi::BackendKind>,

    /// A Wi-Fi interface (radio) for SoftAP rows; give it once per radio. Each radio works one
    /// SoftAP at a time; rows with an address only go on with --parallel [default: one radio,
    /// the backend's choice].
    #[arg(long, value_name = "IFACE", requires = "wifi")]
    pub interface: Vec<String>,

    /// How long joining one SoftAP may take, scan to address, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, requires = "wifi",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub join_timeout: u64,

    /// A file holding the SoftAPs' own passphrase (secured SoftAPs). Without it:
    /// $ACCESSORY_SOFTAP_PASSPHRASE.
    #[arg(long, value_name = "FILE", requires = "wifi")]
    pub softap_passphrase_file: Option<PathBuf>,

    /// The API profile (docs/api-profiles.md) every row that names none (`api_profile`) speaks,
    /// instead of our `/v1` API. Loaded once for the run.
    #[arg(long, value_name = "FILE")]
    pub api_profile: Option<PathBuf>,

    /// The ledger file [default: $XDG_DATA_HOME/accessory/ledger.sqlite3].
    #[arg(long, value_name = "PATH", env = "ACCESSORY_LEDGER")]
    pub ledger: Option<PathBuf>,

    /// Write every event as one line of JSON (NDJSON) on stdout, for machines.
    #[arg(long)]
    pub events: bool,

    /// Write every accessory's result as CSV to FILE.
    #[arg(long, value_name = "FILE")]
    pub report_csv: Option<PathBuf>,

    /// Print the report as JSON on stdout (one line after the events with --events).
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let inventory = Inventory::read(&args.inventory).or_else(failed)?;
    let network = match &args.network_ssid {
        Some(ssid) => Some(network(&args, ssid)?),
        None => None,
    };
    let deadline = Duration::from_secs(args.deadline);
    let lease = lease(args.lease, deadline)?;
    let radios = radios(&args)?;
    let api_profile = match &args.api_profile {
        Some(path) => Some(Arc::new(
            provision::LoadedProfile::load(path).or_else(failed)?,
        )),
        None => None,
    };
    // An attempt a killed station left `in_progress` is called interrupted once its lease is over.
    let ledger = Arc::new(
        Ledger::open_or_default(args.ledger.clone())
            .or_else(failed)?
            .with_attempt_deadline(lease),
    );
    let options = FleetOptions {
        parallel: usize::from(args.parallel),
        force: args.force,
        deadline,
        network,
        ledger,
        lease,
        radios,
        api_profile,
    };
    let progress = Arc::new(Progress::new(args.events, inventory.rows.len()));
    let sink = Arc::clone(&progress);
    let shutdown = crate::signal::shutdown();
    let report = provision::fleet::run(
        &inventory,
        options,
        Arc::new(move |e: &FleetEvent| sink.event(e)),
        shutdown,
    )
    .await
    .or_else(failed)?;
    progress.finish();

    if let Some(path) = &args.report_csv {
        report.write_csv(path).map_err(|e| {
            Failure::coded(
                provision::diagnosis::codes::INPUT_UNREADABLE,
                anyhow::anyhow!("{}: cannot write the report: {e}", path.display()),
            )
        })?;
    }
    if args.json && args.events {
        output::json_line(&report)?;
    } else if args.json {
        output::json(&report)?;
    } else {
        eprint!("{report}");
    }
    Ok(status(&report))
}

/// The radios `--wifi` and `--interface` name (none without `--wifi`).
fn radios(args: &Args) -> anyhow::Result<Radios> {
    let Some(kind) = args.wifi else {
        return Ok(Radios::default());
    };
    if kind == provision::wifi::BackendKind::None {
        // `none` joins nothing: a row's SoftAP could never be reached through it.
        return fail(
            provision::diagnosis::codes::USAGE_WIFI,
            anyhow::anyhow!(
                "--wifi none joins nothing; a fleet joins each row's SoftAP: give --wifi sim, \
                 networkmanager or wpa_supplicant (rows with an address need no --wifi)"
            ),
        );
    }
    let radios = if args.interface.is_empty() {
        vec![Radio::new(kind, None)]
    } else {
        args.interface
            .iter()
            .map(|i| Radio::new(kind, Some(i.clone())))
            .collect()
    };
    Ok(Radios {
        radios,
        join_timeout: Duration::from_secs(args.join_timeout),
        softap_passphrase: Secret::softap_passphrase(args.softap_passphrase_file.as_deref())
            .or_else(failed)?,
    })
}

/// `--lease`, or the default for `deadline`; refused when shorter than the safe floor.
fn lease(asked: Option<Duration>, deadline: Duration) -> anyhow::Result<Duration> {
    let Some(lease) = asked else {
        return Ok(provision::fleet::default_lease(deadline));
    };
    let shortest = provision::fleet::shortest_lease(deadline);
    if lease < shortest {
        return fail(
            provision::diagnosis::codes::USAGE_INVALID_VALUE,
            anyhow::anyhow!(
                "--lease {}s is shorter than the deadline ({}s) and {}s: the claim could run out \
                 while this station still works on an accessory, and another station would \
                 provision it again; give --lease {}s or more (or a shorter --deadline)",
                lease.as_secs_f64(),
                deadline.as_secs(),
                provision::fleet::LEASE_MARGIN.as_secs(),
                shortest.as_secs_f64().ceil(),
            ),
        );
    }
    Ok(lease)
}

/// A duration: seconds (`90`), or a number with `ms`, `s`, `m` or `h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?}: give a whole number with ms, s, m or h (`90s`, `5m`)"))?;
    let unit_ms = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?}: use ms, s, m or h"
            ))
        }
    };
    n.checked_mul(unit_ms)
        .filter(|&ms| ms > 0 && ms <= 24 * 3_600_000)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{text:?}: give a lease between 1 ms and 24 h"))
}

/// 0 when everything is provisioned, 130 when interrupted, else the first failure's status.
fn status(report: &Report) -> ExitStatus {
    if report.all_done() {
        return ExitStatus::Success;
    }
    if report.interrupted {
        return ExitStatus::Interrupted;
    }
    let first_failure = report
        .results
        .iter()
        .find(|r| r.outcome == Disposition::Failed);
    if first_failure.is_none() && report.count(Disposition::Held) > 0 {
        // Nothing failed; the ledger says another station holds the rest.
        return ExitStatus::LocalState;
    }
    first_failure
        .and_then(|r| r.code)
        .and_then(trust::Diagnosis::lookup)
        .map_or(ExitStatus::Internal, |d| d.kind.into())
}

fn network(args: &Args, ssid: &str) -> anyhow::Result<Network> {
    let security = args
        .network_security
        .parse::<provision::Security>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let passphrase = if security.needs_passphrase() {
        Secret::network_passphrase(args.network_passphrase_file.as_deref(), ssid).or_else(failed)?
    } else {
        Secret::new(String::new())
    };
    Ok(Network {
        ssid: ssid.to_owned(),
        passphrase,
        security,
        hidden: args.network_hidden,
    })
}

/// Where events go: a progress bar (stderr is a terminal), one line each on stderr (a pipe or a
/// file), and NDJSON on stdout with `--events`.
struct Progress {
    ndjson: bool,
    bar: Option<indicatif::ProgressBar>,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    connected: usize,
    failed: usize,
    skipped: usize,
}

impl Progress {
    fn new(ndjson: bool, total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} {per_sec} ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            ndjson,
            bar,
            counts: Mutex::new(Counts::default()),
        }
    }

    fn event(&self, event: &FleetEvent) {
        if self.ndjson {
            // An event that cannot be printed is not worth stopping the run for.
            let _ = output::json_line(event);
        }
        let mut c = self.counts.lock().expect("counts lock");
        match event {
            FleetEvent::Succeeded { .. } => c.connected += 1,
            FleetEvent::Failed { .. } => c.failed += 1,
            FleetEvent::Skipped { .. } => c.skipped += 1,
            _ => {}
        }
        match &self.bar {
            Some(bar) => {
                if let FleetEvent::Planned { skipped, .. } = event {
                    bar.set_length(bar.length().unwrap_or(0).saturating_sub(*skipped as u64));
                }
                if matches!(
                    event,
                    FleetEvent::Succeeded { .. } | FleetEvent::Failed { .. }
                ) {
                    bar.inc(1);
                }
                if matches!(
                    event,
                    FleetEvent::Failed { .. }
                        | FleetEvent::Stopping { .. }
                        | FleetEvent::Planned { .. }
                ) {
                    bar.println(event.to_string());
                }
                bar.set_message(format!(
                    "{} connected, {} failed, {} skipped; {}",
                    c.connected, c.failed, c.skipped, event
                ));
            }
            None => eprintln!("{event}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_read_in_seconds_or_with_a_unit_and_nonsense_is_refused() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("11s"), Ok(Duration::from_secs(11)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        for bad in ["", "s", "0", "-5s", "5d", "1.5m", "25h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_default_lease_is_the_deadline_and_a_minute_and_a_short_one_is_refused() {
        let deadline = Duration::from_secs(60);
        assert_eq!(lease(None, deadline).unwrap(), Duration::from_secs(120));
        assert_eq!(
            lease(Some(Duration::from_secs(65)), deadline).unwrap(),
            Duration::from_secs(65)
        );
        assert!(lease(Some(Duration::from_secs(64)), deadline).is_err());
    }
}
