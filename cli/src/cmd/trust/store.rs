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

/// `--store [DIR]` and `--anchor LABEL` for the commands that verify (`provision`, `trust
/// verify`): trust the anchors in the trust store, all of them or those named.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreAnchorsArg {
    /// Trust the anchors in the trust store (`accessory trust list`): all of them, or only those
    /// --anchor names. DIR defaults to $ACCESSORY_TRUST_STORE, then the user's config dir.
    #[arg(long = "store", value_name = "DIR", num_args = 0..=1, default_missing_value = "",
          value_hint = clap::ValueHint::DirPath)]
    pub store: Option<PathBuf>,
    /// Trust only this store anchor (label, id or fingerprint prefix). Repeatable; implies --store.
    #[arg(long = "anchor", value_name = "LABEL")]
    pub anchor: Vec<String>,
}

impl StoreAnchorsArg {
    /// Whether the store was asked for.
    pub fn given(&self) -> bool {
        self.store.is_some() || !self.anchor.is_empty()
    }

    /// The certificates of the chosen store anchors, or `None` when the store was not asked for.
    /// A store with none of them is an error: trusting "nothing" would refuse every accessory
    /// with a misleading diagnosis.
    pub fn certificates(
        &self,
    ) -> anyhow::Result<Option<Vec<rustls::pki_types::CertificateDer<'static>>>> {
        if !self.given() {
            return Ok(None);
        }
        let dir = self
            .store
            .clone()
            .filter(|d| !d.as_os_str().is_empty())
            .or_else(|| std::env::var_os("ACCESSORY_TRUST_STORE").map(PathBuf::from));
        let store = StoreArg { store: dir }.open()?;
        let chosen = if self.anchor.is_empty() {
            store.list().or_else(failed)?
        } else {
            let mut v = Vec::new();
            for l in &self.anchor {
                v.push(store.get(l).or_else(failed)?);
            }
            v
        };
        if chosen.is_empty() {
            return fail(
                codes::STORE_NOT_FOUND,
                anyhow!(
                    "the trust store {} has no anchors; add one with `accessory trust add`",
                    store.dir().display()
                ),
            );
        }
        let mut certificates = Vec::new();
        for a in &chosen {
            // What the store holds is local state, not the user's input.
            let c = a
                .certificate()
                .map_err(|e| Failure::as_kind(trust::ErrorKind::LocalState, e))?;
            certificates.push(c);
        }
        Ok(Some(certificates))
    }
}

impl StoreArg {
    /// Opens the store (reading never creates its directory; the first change does).
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
        for n in r.notes(cert) {
            eprintln!("accessory: note: {n}");
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
