//! `accessory`: provision Wi-Fi accessories over their SoftAP with TLS you can actually trust.
//!
//! The binary is thin: it parses arguments, calls the libraries, prints, and picks the exit status
//! (see `exit.rs` and the table in README.md). Logic lives in the libraries, where tests reach it
//! without a process.

mod cli;
mod cmd;
mod exit;
mod output;

fn main() -> std::process::ExitCode {
    exit::run(cli::parse())
}
