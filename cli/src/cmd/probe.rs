//! `accessory probe`. (Placeholder: the owner of this subcommand replaces it.)

use crate::exit::{fail, Status};

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> anyhow::Result<Status> {
    fail(
        Status::Internal,
        "not_implemented",
        anyhow::anyhow!("`accessory probe` is not built yet"),
    )
}
