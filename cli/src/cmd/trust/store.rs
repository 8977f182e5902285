//! `accessory trust add|list|show|remove`: the admin's anchor store (`trust::store`).

use std::path::PathBuf;

use anyhow::anyhow;
use trust::store::{AddOptions, Added, Store, Summary, WithRole};

use crate::exit::{codes, fail, failed, ExitStatus, Failure};
use crate::output::{self, say};

/// Where the store lives. Shared by every store subcommand and by `trust export`.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArg {
    /// The trust store directory [default: the user's config dir, e.g. ~/.config/accessory/trust]
    #[arg(long, value_name = "DIR", env = "ACCESSORY_TRUST_STORE")]
    pub store: Option<PathBuf>,
}

impl StoreArg {
    /// Opens the store (creating its directory if needed).
    pub fn open(&self) -> anyhow::Result<Store> {
        let dir = match &self.store {
            Some(d) => d.clone(),
            None => match directories::ProjectDirs::from("", "", "accessory") {
                Some(p) => p.config_dir().join("trust"),
                None => {
                    return fail(
                        codes::STORE_NO_HOME,
                        anyhow!("cannot find a config directory (no HOME): give --store DIR"),
                    )
                }
            },
        };
        Store::open(&dir).or_else(failed)
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  accessory trust add maker-root.pem --label maker --note \"from the factory, 2026-03\"
  accessory trust add device.pem                    # a self-signed accessory certificate
  accessory trust add leaf.pem --allow-leaf         # a leaf issued by someone else (rarely right)
  accessory trust add maker-root.pem --store ./anchors")]
pub struct AddArgs {
    /// The certificate to trust (PEM or DER; `-` reads standard input). A PEM file with several
    /// certificates adds each.
    pub file: PathBuf,
    /// A unique name for the anchor [default: the subject CN]
    #[arg(long)]
    pub label: Option<String>,
    /// Free text kept with the anchor: where it came from, who approved it.
    #[arg(long)]
    pub note: Option<String>,
    /// Accept a certificate that is neither a CA nor self-signed (a leaf issued by someone else).
    /// Refused without this flag, because the issuer's root is almost always what was meant
    /// [default: false]
    #[arg(long)]
    pub allow_leaf: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArg,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  accessory trust list
  accessory trust list --json | jq -r '.[].pin'")]
pub struct ListArgs {
    /// Print the anchors as JSON (an array).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArg,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  accessory trust show maker
  accessory trust show 3f2a9c01b7 --pem > maker-root.pem")]
pub struct ShowArgs {
    /// The anchor: its label, id, or at least 8 hex digits of its SHA-256 fingerprint.
    pub anchor: String,
    /// Print only the certificate, as PEM.
    #[arg(long, conflicts_with = "json")]
    pub pem: bool,
    /// Print the anchor as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArg,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  accessory trust remove maker")]
pub struct RemoveArgs {
    /// The anchor: its label, id, or at least 8 hex digits of its SHA-256 fingerprint.
    pub anchor: String,
    /// Print the removed anchor as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArg,
}

pub fn add(a: AddArgs) -> anyhow::Result<ExitStatus> {
    let certs = match trust::load_certificates(&a.file) {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    if certs.len() > 1 && a.label.is_some() {
        return fail(
            codes::STORE_LABEL_FOR_MANY,
            anyhow!(
                "{}: holds {} certificates and --label names one; add them one by one",
                a.file.display(),
                certs.len()
            ),
        );
    }
    let store = a.store.open()?;
    let options = AddOptions {
        label: a.label.clone(),
        note: a.note.clone(),
        allow_leaf: a.allow_leaf,
    };
    let mut results = Vec::new();
    for cert in &certs {
        match store.add(cert, &options) {
            Ok(r) => results.push(r),
            Err(e) => {
                let shown = a.file.display().to_string();
                return Err(Failure::of(e).context(shown).into());
            }
        }
    }
    for (r, cert) in results.iter().zip(&certs) {
        for w in r.warnings(cert) {
            eprintln!("accessory: warning: {w}");
        }
    }
    if a.json {
        output::json(&results.iter().map(Added::json).collect::<Vec<_>>())?;
    } else {
        for r in &results {
            say!("{}", r.describe(store.dir()));
        }
    }
    Ok(ExitStatus::Success)
}

pub fn list(a: ListArgs) -> anyhow::Result<ExitStatus> {
    let store = a.store.open()?;
    let anchors = store.list().or_else(failed)?;
    if a.json {
        output::json(&anchors.iter().map(Summary::from).collect::<Vec<_>>())?;
        return Ok(ExitStatus::Success);
    }
    if anchors.is_empty() {
        say!("no anchors in {}", store.dir().display());
        return Ok(ExitStatus::Success);
    }
    output::bytes(trust::store::table(&anchors).as_bytes());
    Ok(ExitStatus::Success)
}

pub fn show(a: ShowArgs) -> anyhow::Result<ExitStatus> {
    let store = a.store.open()?;
    let x = store.get(&a.anchor).or_else(failed)?;
    if a.pem {
        crate::output::bytes(x.pem.as_bytes());
    } else if a.json {
        output::json(&WithRole::of(&x))?;
    } else {
        output::bytes(x.to_string().as_bytes());
    }
    Ok(ExitStatus::Success)
}

pub fn remove(a: RemoveArgs) -> anyhow::Result<ExitStatus> {
    let store = a.store.open()?;
    let x = store.remove(&a.anchor).or_else(failed)?;
    if a.json {
        output::json(&Summary::from(&x))?;
    } else {
        say!(
            "removed {} (id {}, SHA-256 {})",
            x.label,
            x.id,
            x.fingerprint
        );
    }
    Ok(ExitStatus::Success)
}
