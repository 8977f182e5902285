//! `accessory trust inspect|pin|verify`. (Placeholder: the owner replaces it.)

use crate::exit::{fail, Status};

#[derive(Debug, clap::Args)]
pub struct InspectArgs {}
#[derive(Debug, clap::Args)]
pub struct PinArgs {}
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {}

pub fn inspect(_a: InspectArgs) -> anyhow::Result<Status> {
    fail(
        Status::Internal,
        "not_implemented",
        anyhow::anyhow!("not built yet"),
    )
}
pub fn pin(_a: PinArgs) -> anyhow::Result<Status> {
    fail(
        Status::Internal,
        "not_implemented",
        anyhow::anyhow!("not built yet"),
    )
}
pub fn verify(_a: VerifyArgs) -> anyhow::Result<Status> {
    fail(
        Status::Internal,
        "not_implemented",
        anyhow::anyhow!("not built yet"),
    )
}
