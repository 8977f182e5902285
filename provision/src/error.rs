//! The one error type of this library.

use std::path::PathBuf;

/// Everything that can go wrong while provisioning an accessory or using the ledger.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ledger file could not be opened, read or written.
    #[error("ledger {path}: cannot {action}: {source}")]
    Ledger {
        path: PathBuf,
        action: &'static str,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The ledger was written by a newer version of this tool.
    #[error("ledger {path}: schema version {found} is newer than this tool understands ({supported}); upgrade accessory")]
    LedgerTooNew {
        path: PathBuf,
        found: i32,
        supported: i32,
    },
}
