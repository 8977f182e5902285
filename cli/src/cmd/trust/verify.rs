//! `accessory trust inspect|pin|verify`: offline looks at certificates, and offline verdicts.
//!
//! `verify` runs the same check a live connection runs (`trust::AccessoryVerifier`), minus the
//! handshake signature, which needs a live peer. Exit statuses: 0 accepted / shown, 1 refused,
//! 3 an input file that cannot be used.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use trust::{Anchors, CertificateDer, Identity, Inspection, Pin};

use crate::exit::{failed, ExitStatus};
use crate::output::{self, say};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  accessory trust inspect device.pem
  openssl s_client -connect 192.168.4.1:443 </dev/null | accessory trust inspect -
  accessory trust inspect --json chain.pem | jq '.[0].pin'")]
pub struct InspectArgs {
    /// Certificate file: PEM (one or more certificates) or DER; `-` reads standard input.
    pub file: PathBuf,
    /// Print JSON (an array, one object per certificate) instead of text [default: false].
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  accessory trust pin device.pem
  accessory trust pin --json device.pem
  curl --pinnedpubkey \"$(accessory trust pin device.pem | awk '/^curl/ {print $2}')\" https://192.168.4.1/")]
pub struct PinArgs {
    /// Certificate file (PEM or DER; the first certificate is pinned); `-` reads standard input.
    pub file: PathBuf,
    /// Print JSON (`{pin, curl, hex, base64}`) instead of text [default: false].
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("trust").required(true).multiple(true).args(["pin", "anchors", "store", "anchor"])),
    group(clap::ArgGroup::new("identity").multiple(false).args(["device_id", "dns", "ip"])),
    after_help = "Examples:
  accessory trust verify --anchors manufacturer-root.pem --device-id SIM-0001 chain.pem
  accessory trust verify --pin sha256/AbC...= --ip 192.168.4.1 leaf.pem
  accessory trust verify --anchors root.pem --device-id SIM-0001 --at 2028-01-01T00:00:00Z chain.pem
  accessory trust verify --pin sha256//AbC...= --anchors roots.pem --dns sim-0001.accessory.local leaf.pem intermediate.pem
  accessory trust verify --store --anchor maker --device-id SIM-0001 chain.pem   # the trust store's anchor
Exit status: 0 accepted, 1 refused (the diagnosis says why), 3 unreadable input."
)]
pub struct VerifyArgs {
    /// Accept a leaf whose key has this SPKI pin (`sha256/BASE64`, `sha256//BASE64` or hex); may
    /// be repeated. Pins alone do not enforce dates or the chain (they are reported).
    // A pin that does not parse is a usage error with trust's code (`crate::exit::report_flag`).
    #[arg(long, value_name = "PIN")]
    pub pin: Vec<Pin>,
    /// PEM file of trust anchors (roots, or a self-signed accessory certificate); the chain must
    /// validate to one of them, and only to them.
    #[arg(long, value_name = "FILE")]
    pub anchors: Option<PathBuf>,
    /// The trust store's anchors (--store [DIR], --anchor LABEL), with --anchors' if both.
    #[command(flatten)]
    pub from_store: super::store::StoreAnchorsArg,
    /// The certificate must name this device id: subject serialNumber or CN, or the DNS SAN
    /// `<ID>.accessory.local`; ASCII case is ignored.
    #[arg(long, value_name = "ID")]
    pub device_id: Option<String>,
    /// The certificate must name this DNS name (DNS SAN).
    #[arg(long, value_name = "NAME")]
    pub dns: Option<String>,
    /// The certificate must name this IP address (iPAddress SAN).
    #[arg(long, value_name = "IP")]
    pub ip: Option<IpAddr>,
    /// Verify as of this time (RFC 3339, e.g. `2027-06-01T00:00:00Z`): will the accessory still be
    /// accepted after a date, or was it on the day of a field report? [default: now]
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<trust::UnixTime>,
    /// Print JSON (`{verdict, mode, observed | diagnosis}`) instead of text [default: false].
    #[arg(long)]
    pub json: bool,
    /// The leaf certificate (PEM or DER). A PEM file holding the whole chain, leaf first, is fine.
    pub leaf: PathBuf,
    /// Intermediate certificates, in any order (PEM or DER files).
    pub chain: Vec<PathBuf>,
}

/// Loads certificates, turning a `trust` input error into exit status 3 with its stable code.
fn load(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    trust::load_certificates(path).or_else(failed)
}

pub fn inspect(a: InspectArgs) -> anyhow::Result<ExitStatus> {
    let certs = load(&a.file)?;
    let inspections = certs
        .iter()
        .map(Inspection::of)
        .collect::<Result<Vec<_>, _>>()
        .or_else(failed)?;
    if a.json {
        output::json(&inspections)?;
        return Ok(ExitStatus::Success);
    }
    for (i, c) in inspections.iter().enumerate() {
        if inspections.len() > 1 {
            say!("certificate {} of {}:", i + 1, inspections.len());
        }
        output::bytes(c.to_string().as_bytes());
    }
    Ok(ExitStatus::Success)
}

pub fn pin(a: PinArgs) -> anyhow::Result<ExitStatus> {
    let certs = load(&a.file)?;
    let leaf = certs.first().context("no certificate")?;
    let pin = Pin::of_certificate(leaf).or_else(failed)?;
    let out = trust::PinSpellings::from(&pin);
    if a.json {
        output::json(&out)?;
    } else {
        output::bytes(out.to_string().as_bytes());
    }
    Ok(ExitStatus::Success)
}

pub fn verify(a: VerifyArgs) -> anyhow::Result<ExitStatus> {
    let mut builder = trust::TrustPolicy::builder();
    for p in &a.pin {
        builder = builder.pin(*p);
    }
    let mut roots = match &a.anchors {
        Some(path) => Some(load(path)?),
        None => None,
    };
    if let Some(stored) = a.from_store.certificates()? {
        roots.get_or_insert_with(Vec::new).extend(stored);
    }
    if let Some(roots) = roots {
        let anchors = Anchors::from_certificates(roots).or_else(failed)?;
        builder = builder.anchors(anchors);
    }
    let identity = Identity::chosen(a.device_id.clone(), a.dns.clone(), a.ip);
    if let Some(id) = &identity {
        builder = builder.identity(id.clone());
    }
    let policy = builder.build().or_else(failed)?;

    let mut chain = load(&a.leaf)?;
    for path in &a.chain {
        chain.extend(load(path)?);
    }
    let now = a.at.unwrap_or_else(trust::UnixTime::now);
    let verdict = trust::OfflineVerdict::of(policy, identity, &chain, now);
    let status = if verdict.accepted() {
        ExitStatus::Success
    } else {
        ExitStatus::Verdict
    };
    if a.json {
        output::json(&verdict)?;
    } else {
        output::bytes(verdict.to_string().as_bytes());
    }
    Ok(status)
}

/// `--at`: an RFC 3339 time, as a `UnixTime` (times before 1970 are refused).
fn parse_time(text: &str) -> Result<trust::UnixTime, String> {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("not an RFC 3339 time such as 2027-06-01T00:00:00Z: {e}"))?;
    let secs = u64::try_from(t.unix_timestamp()).map_err(|_| "a time before 1970".to_owned())?;
    Ok(trust::UnixTime::since_unix_epoch(
        std::time::Duration::from_secs(secs),
    ))
}
