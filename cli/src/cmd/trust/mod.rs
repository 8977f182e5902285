//! `accessory trust`: one enum for every trust subcommand; each lives in its own file.
//!
//! - `inspect`, `pin`, `verify` (verify.rs): offline looks at certificates and verdicts.
//! - `add`, `list`, `show`, `remove` (store.rs): the admin's anchor store.
//! - `lint` (lint.rs), `export` (export.rs), `fetch` (fetch.rs).

mod export;
mod fetch;
mod lint;
pub mod store;
mod verify;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show what a certificate (PEM or DER, file or `-` for stdin) says: subject, names, validity, key, pin.
    Inspect(verify::InspectArgs),
    /// Print the SPKI pin of a certificate in every accepted spelling.
    Pin(verify::PinArgs),
    /// Offline verdict: would this chain be accepted under the given pins/anchors and identity?
    Verify(verify::VerifyArgs),
    /// Add a root (or a self-signed accessory certificate) to the anchor store.
    Add(store::AddArgs),
    /// List the anchors in the store.
    List(store::ListArgs),
    /// Show one anchor of the store (by label, id or fingerprint prefix).
    Show(store::ShowArgs),
    /// Remove one anchor from the store.
    Remove(store::RemoveArgs),
    /// Check a certificate against Apple's, Android's and the Web PKI's rules; exit 1 on any error.
    Lint(lint::LintArgs),
    /// Export anchors and pins for iOS (mobileconfig), Android (network security config) and curl.
    Export(export::ExportArgs),
    /// Capture the chain a live accessory presents, show its fingerprints and pin, and lint it;
    /// trusts nothing.
    Fetch(fetch::FetchArgs),
}

pub async fn run(c: Command) -> anyhow::Result<crate::exit::ExitStatus> {
    match c {
        Command::Inspect(a) => verify::inspect(a),
        Command::Pin(a) => verify::pin(a),
        Command::Verify(a) => verify::verify(a),
        Command::Add(a) => store::add(a),
        Command::List(a) => store::list(a),
        Command::Show(a) => store::show(a),
        Command::Remove(a) => store::remove(a),
        Command::Lint(a) => lint::lint(a),
        Command::Export(a) => export::export(a),
        Command::Fetch(a) => fetch::fetch(a).await,
    }
}
