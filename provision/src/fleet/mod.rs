//! Fleet runs: provision every accessory of an inventory from one process (docs/fleet.md).
//!
//! One process means one aws-lc RNG seeding and one set of parsed anchors for the whole run; each
//! accessory still gets its own verifier, because the policy names its device id. `--parallel N`
//! workers take the inventory in order; the ledger decides what is done already (a success is
//! skipped unless forced; a failure, or an attempt a killed run left in progress, is retried).
//! A stop (Ctrl-C) starts nothing new and lets what is in flight finish, so nothing is left
//! half-way, and the [`Report`] names where it stopped.

// What happened, as it happens.
mod event;
// Which accessories, and how to trust each.
mod inventory;
// What a run ends with.
mod report;
// The station's Wi-Fi interfaces, for rows that name a SoftAP.
mod radio;
// The workers.
mod run;
// How a row's accessory is spoken to: an HTTPS API or ESP-IDF.
mod speaks;

pub use event::FleetEvent;
pub use inventory::{Inventory, InventoryError, InventoryFormat, InventoryRow, RowPlace};
pub use radio::{Radio, Radios};
pub use report::{AccessoryResult, Disposition, Report, SLOWEST};
pub use run::{default_lease, run, shortest_lease, FleetOptions, LEASE_MARGIN};
