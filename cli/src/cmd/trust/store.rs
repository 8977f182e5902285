//! `accessory trust add|list|show|remove`: the admin's anchor store (`trust::store`).

use std::path::PathBuf;

use anyhow::anyhow;
use trust::store::{AddOptions, Added, AddedOut, Store, Summary, WithRole};

use crate::exit::{codes, fail, failed, Failure, Status};
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

pub fn add(a: AddArgs) -> anyhow::Result<Status> {
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
    // What phones will think of the new anchors: a weak root (RSA-1024, SHA-1 issuing CA) fails on
    // every device it is exported to, so say it now rather than after distribution.
    for (r, cert) in results.iter().zip(&certs) {
        if let Added::Added(x) = r {
            if let Ok(report) = trust::lint::lint(
                std::slice::from_ref(cert),
                &trust::lint::LintOptions::new(trust::lint::RuleBook::All),
            ) {
                for f in report
                    .findings
                    .iter()
                    .filter(|f| f.severity > trust::lint::Severity::Note)
                {
                    eprintln!(
                        "accessory: warning: {}: {} {}: {} (source: {})",
                        x.label, f.severity, f.rule, f.message, f.source.url
                    );
                }
            }
        }
    }
    if a.json {
        let shown = results
            .iter()
            .map(|r| match r {
                Added::Added(x) => AddedOut {
                    outcome: "added",
                    anchor: WithRole::of(x),
                },
                Added::AlreadyPresent(x) => AddedOut {
                    outcome: "already_present",
                    anchor: WithRole::of(x),
                },
            })
            .collect::<Vec<_>>();
        output::json(&shown)?;
    } else {
        for r in &results {
            match r {
                Added::Added(x) => say!(
                    "added {} (id {}) to {}\n  subject {}\n  SHA-256 {}\n  pin     {}\n  valid   {} to {}\n  role    {}{}",
                    x.label,
                    x.id,
                    store.dir().display(),
                    x.subject,
                    x.fingerprint,
                    x.pin,
                    x.not_before,
                    x.not_after,
                    x.role_text(),
                    if x.leaf { "\n  (a leaf, added with --allow-leaf)" } else { "" }
                ),
                Added::AlreadyPresent(x) => say!(
                    "already in the store as {} (id {}, added {}): nothing changed",
                    x.label, x.id, x.added
                ),
            }
        }
    }
    Ok(Status::Success)
}

pub fn list(a: ListArgs) -> anyhow::Result<Status> {
    let store = a.store.open()?;
    let anchors = store.list().or_else(failed)?;
    if a.json {
        output::json(&anchors.iter().map(Summary::from).collect::<Vec<_>>())?;
        return Ok(Status::Success);
    }
    if anchors.is_empty() {
        say!("no anchors in {}", store.dir().display());
        return Ok(Status::Success);
    }
    output::bytes(trust::store::table(&anchors).as_bytes());
    Ok(Status::Success)
}

pub fn show(a: ShowArgs) -> anyhow::Result<Status> {
    let store = a.store.open()?;
    let x = store.get(&a.anchor).or_else(failed)?;
    if a.pem {
        crate::output::bytes(x.pem.as_bytes());
    } else if a.json {
        output::json(&WithRole::of(&x))?;
    } else {
        output::bytes(x.to_string().as_bytes());
    }
    Ok(Status::Success)
}

pub fn remove(a: RemoveArgs) -> anyhow::Result<Status> {
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
    Ok(Status::Success)
}
