//! `accessory`: provision Wi-Fi accessories over their SoftAP with TLS you can actually trust.
//!
//! The binary is thin: it parses arguments (`cli.rs`), calls one command (`cmd/`), each of which
//! calls the libraries and prints (`output.rs`), and picks the exit status (`exit.rs` and the table
//! in README.md). Logic lives in the libraries, where tests reach it without a process.

mod cli;
mod cmd;
mod exit;
mod output;
mod progress;
mod signal;
mod suggest;

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;

fn main() -> ExitCode {
    let cli = cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!(
                "accessory: error: cannot start the async runtime: {e} [{}]",
                exit::codes::INTERNAL
            );
            return ExitStatus::Internal.into();
        }
    };
    let status = match runtime.block_on(dispatch(cli.command)) {
        Ok(status) => status,
        Err(err) => exit::report(&err),
    };
    // A blocking task still running (a first-use prompt reading the terminal when Ctrl-C came)
    // must not hold the exit: the clean-up it could do is done.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    status.after_signal().into()
}

async fn dispatch(command: Command) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Provision(args) => cmd::provision::run(args).await,
        Command::Trust(c) => cmd::trust::run(c).await,
        Command::Sim(args) => cmd::sim::run(args).await,
        Command::Certs(c) => cmd::certs::run(c).await,
        Command::Probe(args) => cmd::probe::run(args).await,
        Command::Scan(args) => cmd::scan::run(args).await,
        Command::Ledger(c) => cmd::ledger::run(c).await,
        Command::Explain(args) => cmd::explain::run(args),
        Command::Completions(args) => cmd::meta::completions(args, Cli::command()),
        Command::Man(args) => cmd::meta::man(args, Cli::command()),
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ACCESSORY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour a terminal only: no escape codes in log files and pipes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
