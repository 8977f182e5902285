//! One module per subcommand. Each parses its own arguments and calls a library.

pub mod certs;
pub mod ledger;
pub mod meta;
pub mod probe;
pub mod provision;
pub mod sim;
pub mod trust;
