//! The command line, defined once: `--help`, the man pages and the shell completions all come from
//! these definitions.

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::cmd;

/// Provision Wi-Fi accessories over their SoftAP with TLS you can actually trust.
///
/// Nothing here accepts every certificate: an accessory is verified by its pin, by roots you supply,
/// or by a first-use record you confirmed, before it is sent anything secret.
#[derive(Debug, Parser)]
#[command(
    name = "accessory",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = "Examples:
  accessory sim                                   # a good simulated accessory on 127.0.0.1:8443
  accessory provision --accessory 127.0.0.1:8443 --pin sha256/... --device-id SIM-0001 \\
      --network-ssid Home --network-passphrase-file pass.txt
  accessory trust lint device.pem --profile apple
  accessory certs catalogue --out catalogue/")]
pub struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace). Secrets are never logged at any level.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Join an accessory, verify it, send it the home network, confirm it joined, record it.
    Provision(cmd::provision::Args),
    /// Anchors and pins: inspect, verify, lint, store, export for iOS, Android and curl.
    #[command(subcommand)]
    Trust(cmd::trust::Command),
    /// Run a simulated accessory that reproduces real field failures, alone or as a fleet.
    Sim(cmd::sim::Args),
    /// Manufacturer CA, per-device certificates and the certificate catalogue.
    #[command(subcommand)]
    Certs(cmd::certs::Command),
    /// List the SoftAPs a Wi-Fi backend sees, and which look like accessories.
    Scan(cmd::scan::Args),
    /// Tell which phones (iOS 26, iOS 18, Android...) would fail against an accessory, and why.
    Probe(cmd::probe::Args),
    /// Explain a field error code (-9825, 65, CertPathValidatorException…): causes, ranked, each
    /// with the simulator command that reproduces it and the command that tells it apart.
    Explain(cmd::explain::Args),
    /// Read the provisioning ledger: accessories seen and every attempt.
    #[command(subcommand)]
    Ledger(cmd::ledger::Command),
    /// Print shell completions.
    Completions(cmd::meta::CompletionsArgs),
    /// Write man pages into a directory.
    Man(cmd::meta::ManArgs),
}

/// Parses the command line, and notes whether the command asked for `--json` (its failures
/// are then JSON on stdout too: [`crate::output::set_json`]). A flag value that a library type
/// refused while clap parsed it (a `--fault`, a `--pin`) is reported as that library reports it:
/// its own code and exit status, one line, as if the command had parsed it (see
/// [`crate::exit::report_flag`]); every other mistake is clap's, exit status 2, with a `usage.*`
/// code ([`crate::exit::report_usage`]).
pub fn parse() -> Cli {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, wants_json(&m))));
    match parsed {
        Ok((cli, json)) => {
            crate::output::set_json(json);
            cli
        }
        Err(e) => {
            // The command line did not parse: `--json` anywhere on it is the best guess.
            crate::output::set_json(std::env::args_os().any(|a| a == "--json"));
            if let Some(code) = crate::exit::report_flag(&e) {
                std::process::exit(code);
            }
            crate::exit::report_usage(e)
        }
    }
}

/// Whether the subcommand that runs (the deepest one given) has `--json` set.
fn wants_json(matches: &ArgMatches) -> bool {
    match matches.subcommand() {
        Some((_, sub)) => wants_json(sub),
        None => matches
            .try_get_one::<bool>("json")
            .ok()
            .flatten()
            .copied()
            .unwrap_or(false),
    }
}
