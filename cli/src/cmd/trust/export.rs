//! `accessory trust export`: anchors and pins in the form iOS, Android and curl install them.

use std::path::PathBuf;

use anyhow::anyhow;
use trust::export::{self, ExportAnchor, ExportInput, Format};

use super::store::StoreArg;
use crate::exit::{codes, fail, failed, ExitStatus, Failure};
use crate::output::say;
use trust::ErrorKind;

#[derive(Debug, clap::Args)]
#[command(after_help = "Formats:
  mobileconfig  iOS/iPadOS/macOS configuration profile (one com.apple.security.root payload per anchor)
  android-nsc   res/xml/network_security_config.xml + res/raw certificates (needs --out)
  pem-bundle    the anchors as PEM (curl --cacert, openssl -CAfile)
  curl-pins     the string for curl --pinnedpubkey (sha256//A;sha256//B)
  json          anchors and pins for scripts

Examples:
  accessory trust export --format mobileconfig --out profile/     # then read profile/README.txt
  accessory trust export --format android-nsc --out app-res/ --pin sha256/... --pin-expiration 2027-06-01
  accessory trust export --format curl-pins --anchors device.pem
  curl --pinnedpubkey \"$(accessory trust export --format curl-pins --pin sha256/...)\" ...")]
pub struct ExportArgs {
    /// Output format: mobileconfig, android-nsc, pem-bundle, curl-pins, json.
    #[arg(long, hide_possible_values = true,
          value_parser = crate::suggest::suggest(parse_format, crate::suggest::export_format_names))]
    pub format: Format,
    /// Export these certificates (PEM or DER) instead of the store. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub anchors: Vec<PathBuf>,
    /// A pin to export (`sha256/BASE64`, `sha256//BASE64` or 64 hex digits). Repeatable. With
    /// --anchors or --pin the store is not read.
    #[arg(long = "pin", value_name = "PIN")]
    pub pins: Vec<String>,
    /// Only these store anchors (label, id or fingerprint prefix) [default: all]. Repeatable.
    // With --anchors or --pin the store is not read: a label there would be ignored, so clap
    // refuses the combination (usage.conflict).
    #[arg(long = "label", value_name = "ANCHOR", conflicts_with_all = ["anchors", "pins"])]
    pub labels: Vec<String>,
    /// Android: a host name or address the domain-config covers. Repeatable [default: 192.168.4.1]
    #[arg(long = "domain", value_name = "NAME")]
    pub domains: Vec<String>,
    /// Android: the date (YYYY-MM-DD) after which the app stops enforcing the pins.
    #[arg(long, value_name = "DATE")]
    pub pin_expiration: Option<String>,
    /// Apple: the profile's reverse-DNS identifier [default: local.accessory.trust]
    #[arg(long, default_value = "local.accessory.trust")]
    pub identifier: String,
    /// Apple: the profile's display name [default: Accessory trust anchors]
    #[arg(long, default_value = "Accessory trust anchors")]
    pub name: String,
    /// Apple: the organisation shown on the profile.
    #[arg(long)]
    pub organization: Option<String>,
    /// Write the files (and README.txt) into this directory instead of standard output.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Overwrite files that already exist in --out [default: false]
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub store: StoreArg,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

pub fn export(a: ExportArgs) -> anyhow::Result<ExitStatus> {
    let mut pins = Vec::new();
    for p in &a.pins {
        match p.parse::<trust::Pin>() {
            Ok(pin) => pins.push(pin.to_string()),
            Err(e) => return failed(e),
        }
    }
    let mut anchors = Vec::new();
    if a.anchors.is_empty() && a.pins.is_empty() {
        let store = a.store.open()?;
        let stored = if a.labels.is_empty() {
            store.list().or_else(failed)?
        } else {
            let mut v = Vec::new();
            for l in &a.labels {
                v.push(store.get(l).or_else(failed)?);
            }
            v
        };
        for s in &stored {
            match ExportAnchor::from_stored(s) {
                Ok(x) => anchors.push(x),
                // What the store holds is local state, not the user's input.
                Err(e) => return Err(Failure::as_kind(ErrorKind::LocalState, e).into()),
            }
        }
    } else {
        for path in &a.anchors {
            let certs = match trust::load_certificates(path) {
                Ok(c) => c,
                Err(e) => return failed(e),
            };
            for c in certs {
                match ExportAnchor::from_certificate(c, None) {
                    Ok(x) => anchors.push(x),
                    Err(e) => {
                        let shown = path.display().to_string();
                        return Err(Failure::of(e).context(shown).into());
                    }
                }
            }
        }
    }
    let mut input = ExportInput::new(anchors, pins);
    if !a.domains.is_empty() {
        input.domains = a.domains.clone();
    }
    input.pin_expiration = a.pin_expiration.clone();
    input.identifier = a.identifier.clone();
    input.display_name = a.name.clone();
    input.organization = a.organization.clone();

    let result = match export::export(a.format, &input) {
        Ok(r) => r,
        Err(e) => {
            return failed(e);
        }
    };
    for w in &result.warnings {
        eprintln!("accessory: warning: {w}");
    }

    let Some(dir) = &a.out else {
        if !a.format.single_file() {
            return fail(
                codes::USAGE_OUT_REQUIRED,
                anyhow!("--format android-nsc writes several files: give --out DIR"),
            );
        }
        crate::output::bytes(&result.files[0].contents);
        if !result.instructions.is_empty() {
            eprint!("{}", result.instructions);
        }
        return Ok(ExitStatus::Success);
    };

    result
        .write_to(dir, a.force, |path| say!("wrote {}", path.display()))
        .or_else(failed)?;
    if !result.instructions.is_empty() {
        eprintln!("\n{}", result.instructions);
    }
    Ok(ExitStatus::Success)
}
