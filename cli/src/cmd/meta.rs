//! Completions and man pages, generated from the same definitions as `--help`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::Cli;
use crate::exit::Status;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  accessory completions bash > /etc/bash_completion.d/accessory
  accessory completions zsh > \"${fpath[1]}/_accessory\"")]
pub struct CompletionsArgs {
    /// The shell to print completions for.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  accessory man --out target/man && man target/man/accessory.1")]
pub struct ManArgs {
    /// Directory to write `accessory.1` and one page per subcommand into (created if missing).
    #[arg(long, default_value = "man")]
    pub out: PathBuf,
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<Status> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "accessory", &mut script);
    match std::io::stdout().write_all(&script) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing completions to stdout")
        }
        _ => Ok(Status::Success),
    }
}

pub fn man(args: ManArgs) -> anyhow::Result<Status> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating man page directory {}", args.out.display()))?;
    clap_mangen::generate_to(Cli::command(), &args.out)
        .with_context(|| format!("writing man pages into {}", args.out.display()))?;
    Ok(Status::Success)
}
