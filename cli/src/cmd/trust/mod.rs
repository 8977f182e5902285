//! `accessory trust`: one enum for every trust subcommand; each lives in its own file.
//!
//! - `inspect`, `pin`, `verify` (verify.rs): offline looks at certificates and verdicts.
//! - `add`, `list`, `show`, `remove` (store.rs): the admin's anchor store.
//! - `lint` (lint.rs), `export` (export.rs), `fetch` (fetch.rs).

mod verify;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show what a certificate (PEM or DER, file or `-` for stdin) says: subject, names, validity, key, pin.
    Inspect(verify::InspectArgs),
    /// Print the SPKI pin of a certificate in every accepted spelling.
    Pin(verify::PinArgs),
    /// Offline verdict: would this chain be accepted under the given pins/anchors and identity?
    Verify(verify::VerifyArgs),
}

pub async fn run(c: Command) -> anyhow::Result<crate::exit::Status> {
    match c {
        Command::Inspect(a) => verify::inspect(a),
        Command::Pin(a) => verify::pin(a),
        Command::Verify(a) => verify::verify(a),
    }
}
