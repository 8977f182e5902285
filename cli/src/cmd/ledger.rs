//! `accessory ledger`. (Placeholder: the owner of this subcommand replaces it.)

use crate::exit::{fail, Status};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Not built yet.
    Todo,
}

pub async fn run(_c: Command) -> anyhow::Result<Status> {
    fail(
        Status::Internal,
        "not_implemented",
        anyhow::anyhow!("`accessory ledger` is not built yet"),
    )
}
