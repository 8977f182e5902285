//! `accessory ledger list|show|forget`: read the provisioning ledger, and forget an accessory's
//! first-use key deliberately (the only way to accept a changed key, as `ssh-keygen -R` is).

use std::path::PathBuf;

use provision::{AccessoryRecord, AttemptRecord, Ledger};
use serde::Serialize;

use crate::exit::{codes, fail, failed, Status};
use crate::output::{self, say};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Every accessory seen, most recent first.
    #[command(after_help = "Examples:
  accessory ledger list
  accessory ledger list --json | jq -r '.accessories[].id'
  accessory ledger list --ledger fleet.sqlite3")]
    List(Common),
    /// One accessory: its key, and every provisioning attempt.
    #[command(after_help = "Examples:
  accessory ledger show SIM-0001
  accessory ledger show SIM-0001 --json")]
    Show {
        /// The device id.
        id: String,
        #[command(flatten)]
        common: Common,
    },
    /// Forget an accessory's first-use key, so the next provisioning is a first use again. Its
    /// attempts are kept.
    #[command(after_help = "Examples:
  accessory ledger forget SIM-0001     # after checking the new fingerprint on the label")]
    Forget {
        /// The device id.
        id: String,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, clap::Args)]
pub struct Common {
    /// The ledger file [default: $XDG_DATA_HOME/accessory/ledger.sqlite3].
    #[arg(long, value_name = "PATH", env = "ACCESSORY_LEDGER")]
    pub ledger: Option<PathBuf>,

    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

fn open(common: &Common) -> anyhow::Result<Ledger> {
    let Some(path) = common.ledger.clone().or_else(Ledger::default_path) else {
        return fail(
            codes::LEDGER_NO_DEFAULT,
            anyhow::anyhow!("no home directory to keep the ledger in; give --ledger PATH"),
        );
    };
    match Ledger::open(&path) {
        Ok(l) => Ok(l),
        Err(e) => failed(e),
    }
}

fn local<T>(r: Result<T, provision::Error>) -> anyhow::Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(e) => failed(e),
    }
}

pub async fn run(command: Command) -> anyhow::Result<Status> {
    match command {
        Command::List(common) => list(&common),
        Command::Show { id, common } => show(&id, &common),
        Command::Forget { id, common } => forget(&id, &common),
    }
}

fn list(common: &Common) -> anyhow::Result<Status> {
    let ledger = open(common)?;
    let accessories = local(ledger.accessories())?;
    if common.json {
        #[derive(Serialize)]
        struct List<'a> {
            ledger: String,
            accessories: &'a [AccessoryRecord],
        }
        output::json(&List {
            ledger: ledger.path().display().to_string(),
            accessories: &accessories,
        })?;
        return Ok(Status::Success);
    }
    if accessories.is_empty() {
        say!("no accessories in {}", ledger.path().display());
        return Ok(Status::Success);
    }
    output::bytes(provision::accessory_table(&accessories).as_bytes());
    Ok(Status::Success)
}

fn show(id: &str, common: &Common) -> anyhow::Result<Status> {
    let ledger = open(common)?;
    let accessory = local(ledger.accessory(id))?;
    let attempts = local(ledger.attempts(Some(id)))?;
    if accessory.is_none() && attempts.is_empty() {
        return fail(
            codes::LEDGER_UNKNOWN_ACCESSORY,
            anyhow::anyhow!("{id} is not in the ledger {}", ledger.path().display()),
        );
    }
    if common.json {
        #[derive(Serialize)]
        struct Show<'a> {
            id: &'a str,
            accessory: Option<&'a AccessoryRecord>,
            attempts: &'a [AttemptRecord],
        }
        output::json(&Show {
            id,
            accessory: accessory.as_ref(),
            attempts: &attempts,
        })?;
        return Ok(Status::Success);
    }
    match &accessory {
        Some(a) => output::bytes(a.to_string().as_bytes()),
        None => say!("accessory {id} (no key on record: forgotten, or never verified)"),
    }
    say!("attempts ({}):", attempts.len());
    for t in &attempts {
        say!("  {t}");
    }
    Ok(Status::Success)
}

fn forget(id: &str, common: &Common) -> anyhow::Result<Status> {
    let ledger = open(common)?;
    let forgotten = local(ledger.forget(id))?;
    if common.json {
        output::json(&serde_json::json!({ "id": id, "forgotten": forgotten }))?;
    }
    if !forgotten {
        return fail(
            codes::LEDGER_UNKNOWN_ACCESSORY,
            anyhow::anyhow!("{id} has no key in the ledger {}", ledger.path().display()),
        );
    }
    if !common.json {
        say!(
            "forgot the key of {id}; the next provisioning is a first use (confirm it with --expect-fingerprint)"
        );
    }
    Ok(Status::Success)
}
