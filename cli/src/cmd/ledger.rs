//! `accessory ledger list|show|forget`: read the provisioning ledger, and forget an accessory's
//! first-use key deliberately (the only way to accept a changed key, as `ssh-keygen -R` is).

use std::path::PathBuf;

use provision::Ledger;

use crate::exit::{codes, fail, failed, ExitStatus};
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

pub async fn run(command: Command) -> anyhow::Result<ExitStatus> {
    let (Command::List(common) | Command::Show { common, .. } | Command::Forget { common, .. }) =
        &command;
    // Reading (and forgetting) never creates a ledger: a typo in --ledger is an error, not a new
    // empty database.
    let path = match common.ledger.clone().or_else(Ledger::default_path) {
        Some(p) => p,
        None => return failed(provision::Error::LedgerNoDefault),
    };
    // A PostgreSQL ledger is a database a station shares, not a file: its absence is the server's
    // to report.
    let is_url = path
        .to_str()
        .is_some_and(|p| p.starts_with("postgres://") || p.starts_with("postgresql://"));
    if !is_url && !path.exists() {
        return fail(
            codes::LEDGER_NOT_FOUND,
            anyhow::anyhow!(
                "no ledger at {} (reading never creates one; `accessory provision` does)",
                path.display()
            ),
        );
    }
    let ledger = Ledger::open(&path).or_else(failed)?;
    let json = common.json;
    match &command {
        Command::List(_) => print(&ledger.listing().or_else(failed)?, json)?,
        Command::Show { id, .. } => print(&ledger.history(id).or_else(failed)?, json)?,
        Command::Forget { id, .. } => {
            let forgotten = ledger.forget(id).or_else(failed)?;
            if json {
                output::json(&serde_json::json!({ "id": id, "forgotten": forgotten }))?;
            }
            if !forgotten {
                return failed(ledger.unknown(id, true));
            }
            if !json {
                say!(
                    "forgot the key of {id}; the next provisioning is a first use (confirm it with --expect-fingerprint)"
                );
            }
        }
    }
    Ok(ExitStatus::Success)
}

fn print<T: serde::Serialize + std::fmt::Display>(value: &T, json: bool) -> anyhow::Result<()> {
    if json {
        output::json(value)
    } else {
        output::bytes(value.to_string().as_bytes());
        Ok(())
    }
}
