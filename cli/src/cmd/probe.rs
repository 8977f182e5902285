//! `accessory probe`: which phones would fail against an accessory, and why.
//!
//! The work is in the `probe` library (capture the chain without trusting it, one pinned handshake
//! per client profile, the chain against Apple's and Android's rules, a verdict per platform); this
//! module parses flags, prints the report and picks the exit status: `Verdict` (1) when any chosen
//! platform would fail, `Unreachable` (5) when no TCP connection could be made at all.

use std::time::Duration;

use crate::exit::{codes, fail, failed, ExitStatus, Failure};
use crate::output::{self, say};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  accessory probe 192.168.4.1:443          # every profile; verdicts for iOS 26, iOS 18, Android
  accessory probe 127.0.0.1:8443 --profile ios26 --profile ios18
  accessory probe 192.168.4.1:443 --json | jq '.verdicts[] | select(.passed | not)'
  accessory probe --list-profiles
  accessory probe 192.168.4.1:443 --client-hello iphone.hex   # replay a capture, whole and split
  accessory probe 192.168.4.1:443 --sweep       # the largest ClientHello accepted, whole and split
  accessory probe 192.168.4.1:443 --mss 1400 --segment-gap-ms 5
  accessory probe 192.168.4.1:443 --anchors maker-root.pem --ip 192.168.4.1   # would phones trust it?

Profiles (what each ClientHello carries; sizes are measured and printed in every report):
  ios26       iOS 26 / macOS 26: TLS 1.2-1.3, X25519MLKEM768 (post-quantum share sent) then X25519,
              P-256, P-384; rustls hello about 1.4 KB, the real one 1,514 bytes (2 segments)
  ios18       iOS 18 / macOS 15: TLS 1.2-1.3, X25519, P-256, P-384; real hello 517 bytes
  android     Android 10-15 platform TLS (Conscrypt): TLS 1.2-1.3, X25519, P-256, P-384; real
              hello (Android 13/14) 549 bytes
  tls12-only  diagnostic: TLS 1.2 only
  tls13-only  diagnostic: TLS 1.3 only

The probe never sends credentials and never trusts what it sees: it captures the chain with a
verifier that always refuses, then pins each handshake to the captured key (the accessory must still
prove it holds that key), and sends no application data. Each platform profile also sends the real
platform's ClientHello (a public capture, refreshed with fresh keys; docs/client-profiles.md), once
whole and once in MSS-sized segments as Wi-Fi delivers it; a refusal of either fails the platform.
docs/alerts.md maps TLS alerts to Apple's
errSSL codes and Android's exceptions.

Exit status: 0 every chosen platform passes, 1 one would fail, 2 usage, 5 unreachable.")]
pub struct Args {
    /// The accessory, `HOST[:PORT]`; the port defaults to 443, as for `provision` (`[fe80::1%wlan0]`
    /// is not supported).
    #[arg(value_name = "HOST[:PORT]", required_unless_present = "list_profiles")]
    pub target: Option<String>,
    /// A client profile to run (repeatable) [default: all: ios26, ios18, android, tls12-only,
    /// tls13-only]. Verdicts are given for the platforms whose profile ran.
    #[arg(
        long = "profile",
        value_name = "NAME",
        hide_possible_values = true,
        value_parser = crate::suggest::suggest(clap::builder::StringValueParser::new(), crate::suggest::client_profile_names),
        env = "ACCESSORY_PROBE_PROFILES",
        value_delimiter = ','
    )]
    pub profiles: Vec<String>,
    /// The longest one handshake may take, in seconds, connect included.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 10,
        env = "ACCESSORY_PROBE_TIMEOUT"
    )]
    pub timeout: u64,
    /// The largest TCP payload per write when a large ClientHello is sent split, as Wi-Fi delivers
    /// it (1,460 with a 1,500-byte MTU).
    #[arg(long, value_name = "BYTES", default_value_t = 1460, value_parser = clap::value_parser!(u16).range(64..))]
    pub mss: u16,
    /// The pause between the segments of a split ClientHello, in milliseconds.
    #[arg(long = "segment-gap-ms", value_name = "MS", default_value_t = 2)]
    pub segment_gap_ms: u64,
    /// Replay this captured ClientHello byte for byte (a classic pcap: the first TLS stream's
    /// first record; a raw TLS record; or hex text), whole and split, and report the accessory's
    /// first answer. Runs nothing else.
    #[arg(long = "client-hello", value_name = "FILE")]
    pub client_hello: Option<std::path::PathBuf>,
    /// Find the largest ClientHello the accessory accepts, whole and split (padded real iOS 18
    /// hellos, binary search up to the largest TLS record), and compare with iOS 26's. Runs
    /// nothing else.
    #[arg(long, conflicts_with = "client_hello")]
    pub sweep: bool,
    /// The roots the app trusts (PEM file): each verdict then says whether its platform would
    /// trust the chain (path to these roots, validity, EKU, CA:FALSE leaf, the identity in the SAN,
    /// and the platform's own rules). Without --anchors or --pin, trust is not checked, and every
    /// verdict says so.
    #[arg(long, value_name = "FILE")]
    pub anchors: Option<std::path::PathBuf>,
    /// A key the app pins: `sha256/BASE64`, `sha256//BASE64` or 64 hex digits (repeatable).
    #[arg(long = "pin", value_name = "PIN", value_parser = parse_pin)]
    pub pins: Vec<trust::Pin>,
    /// The device id the certificate must name (subject CN or serialNumber, or DNS
    /// `<ID>.accessory.local`), as the app checks it.
    #[arg(long, value_name = "ID")]
    pub device_id: Option<String>,
    /// The DNS name the app connects to: it must be a DNS SAN, as the platforms check it.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["device_id", "ip"])]
    pub dns: Option<String>,
    /// The IP address the app connects to (192.168.4.1 on a SoftAP): it must be an iPAddress SAN,
    /// as the platforms check it.
    #[arg(long, value_name = "IP", conflicts_with = "device_id")]
    pub ip: Option<std::net::IpAddr>,
    /// Connect through this interface only (`wlan0`, the one that joined the accessory's SoftAP;
    /// SO_BINDTODEVICE, Linux). An accessory not on its subnets is reported as a wrong interface,
    /// before anything is sent.
    #[arg(long, value_name = "IFACE")]
    pub interface: Option<String>,
    /// Also write the report into this new (or empty) directory, to attach to a bug: report.json,
    /// report.txt, the exact ClientHello bytes of every attempt and a transcript of each.
    #[arg(long, value_name = "DIR")]
    pub report: Option<std::path::PathBuf>,
    /// Skip the record-size checks after the handshake (one 16,384-byte application record, an
    /// HTTP `GET /` without credentials; `max_fragment_length` and `record_size_limit` offered at
    /// 512 bytes) [default: checked].
    #[arg(long)]
    pub no_record_checks: bool,
    /// Print the report as JSON (for scripts) [default: text].
    #[arg(long)]
    pub json: bool,
    /// Print the profiles (what each emulates, its measured ClientHello) and exit.
    #[arg(long)]
    pub list_profiles: bool,
    /// Progress per profile as NDJSON (`--events`); on stderr each step always shows.
    #[command(flatten)]
    pub events: crate::progress::EventsArgs,
}

pub async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    if args.list_profiles {
        return list_profiles(args.json);
    }
    let Some(input) = args.target.as_deref() else {
        return fail(
            codes::PROBE_NO_TARGET,
            anyhow::anyhow!("give the accessory as HOST[:PORT]"),
        );
    };
    let target = match probe::Target::parse(input) {
        Ok(t) => t,
        Err(e) => return fail(codes::PROBE_BAD_TARGET, e),
    };
    let segmentation = probe::Segmentation {
        mss: usize::from(args.mss),
        gap: Duration::from_millis(args.segment_gap_ms),
    };
    let timeout = Duration::from_secs(args.timeout.max(1));
    let interface = args.interface.clone();
    if let Some(path) = &args.client_hello {
        return replay(&target, interface, path, segmentation, timeout, args.json).await;
    }
    if args.sweep {
        return sweep(&target, interface, segmentation, timeout, args.json).await;
    }
    let profiles = if args.profiles.is_empty() {
        probe::profiles().iter().collect::<Vec<_>>()
    } else {
        let mut chosen = Vec::new();
        for name in &args.profiles {
            match probe::ClientProfile::by_name(name.trim()) {
                Ok(p) => chosen.push(p),
                Err(e) => return fail(codes::PROBE_UNKNOWN_PROFILE, e),
            }
        }
        chosen
    };
    let anchors = match &args.anchors {
        Some(path) => Some(trust::Anchors::from_pem_file(path).or_else(failed)?),
        None => None,
    };
    let options = probe::Options {
        timeout,
        segmentation,
        faithful: true,
        interface,
        trust: probe::AppTrust {
            anchors,
            pins: args.pins.clone(),
            identity: trust::Identity::chosen(args.device_id.clone(), args.dns.clone(), args.ip),
        },
        records: !args.no_record_checks,
    };
    let progress = crate::progress::Progress::start(&args.events)?;
    let report =
        probe::run_observed(&target, &profiles, &options, &progress.probe_observer()).await;
    drop(progress);
    let report = match report {
        Ok(r) => r,
        Err(e) => return Err(Failure::of(e).context(format!("probing {target}")).into()),
    };
    if args.json {
        output::json(&report)?;
    } else {
        crate::output::bytes(report.to_string().as_bytes());
    }
    // After printing: a directory that cannot be written loses nothing of the report.
    if let Some(dir) = &args.report {
        probe::write_report_dir(&report, dir).or_else(failed)?;
    }
    Ok(if report.passed() {
        ExitStatus::Success
    } else {
        ExitStatus::Verdict
    })
}

/// `--client-hello FILE`: the capture, byte for byte, whole and split; exit 1 when refused.
async fn replay(
    target: &probe::Target,
    interface: Option<String>,
    path: &std::path::Path,
    segmentation: probe::Segmentation,
    timeout: Duration,
    json: bool,
) -> anyhow::Result<ExitStatus> {
    let record = probe::read_capture_file(path).or_else(failed)?;
    let addr = match target.resolve().await {
        Ok(a) => a,
        Err(e) => return fail(codes::NET_RESOLVE, e),
    };
    let route = probe::Route::via(addr, interface).or_else(failed)?;
    let result = probe::try_hello(
        route,
        format!("replayed from {}", path.display()),
        &record,
        segmentation,
        timeout,
    )
    .await;
    if json {
        output::json(&result)?;
    } else {
        say!(
            "accessory probe {target}: {} ({} bytes, {} segment(s) at MSS {})\n  {}",
            result.source,
            result.bytes,
            result.segments,
            segmentation.mss,
            result.summary()
        );
    }
    Ok(if result.accepted() {
        ExitStatus::Success
    } else {
        ExitStatus::Verdict
    })
}

/// `--sweep`: the largest ClientHello accepted, whole and split; exit 1 when iOS 26's is larger.
async fn sweep(
    target: &probe::Target,
    interface: Option<String>,
    segmentation: probe::Segmentation,
    timeout: Duration,
    json: bool,
) -> anyhow::Result<ExitStatus> {
    let addr = match target.resolve().await {
        Ok(a) => a,
        Err(e) => return fail(codes::NET_RESOLVE, e),
    };
    let route = probe::Route::via(addr, interface).or_else(failed)?;
    let result = match probe::sweep(route, target.sni().as_deref(), segmentation, timeout).await {
        Ok(r) => r,
        Err(e) => return fail(codes::PROBE_INTERNAL, e),
    };
    if json {
        output::json(&result)?;
    } else {
        say!("accessory probe {target} --sweep\n{result}");
    }
    let fits = |limit: Option<usize>| limit.is_some_and(|n| n >= result.ios26_bytes);
    Ok(if fits(result.whole) && fits(result.split) {
        ExitStatus::Success
    } else {
        ExitStatus::Verdict
    })
}

fn parse_pin(s: &str) -> Result<trust::Pin, String> {
    s.parse().map_err(|e: trust::Error| e.to_string())
}

fn list_profiles(json: bool) -> anyhow::Result<ExitStatus> {
    let listed = probe::profile_sheet().or_else(|e| fail(codes::PROBE_PROFILE, e))?;
    if json {
        output::json(&listed)?;
    } else {
        for l in &listed {
            output::bytes(l.to_string().as_bytes());
        }
    }
    Ok(ExitStatus::Success)
}
