//! One module per subcommand. Each parses its own arguments and calls a library.

pub mod certs;
// `provision` without --network-ssid on a terminal: choose from the accessory's list.
pub mod choose_network;
// `--protocol esp`: the ESP-IDF device flags and serving it.
pub mod esp;
pub mod explain;
// `accessory provision fleet`: an inventory, progress, resume, the report.
pub mod fleet;
// `accessory provision --label`: the label fills the flags it answers.
pub mod label;
pub mod ledger;
pub mod meta;
pub mod probe;
pub mod provision;
// `accessory scan`: the SoftAPs a Wi-Fi backend sees.
pub mod scan;
// The flags that describe one simulated accessory.
pub mod scenario;
pub mod sim;
// `accessory sim softap`: a simulated accessory behind a namespace SoftAP (root).
pub mod softap;
pub mod trust;
// `accessory provision --wifi ...`: joining and leaving the accessory's SoftAP.
pub mod wifi_join;
