//! Completions and man pages, generated from the same definitions as `--help`.

use std::path::PathBuf;

use anyhow::Context;

use crate::exit::ExitStatus;
use crate::output;

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

/// `cli` is the whole command line (`Cli::command()`), given by the caller.
pub fn completions(args: CompletionsArgs, mut cli: clap::Command) -> anyhow::Result<ExitStatus> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cli, "accessory", &mut script);
    output::bytes(&script);
    Ok(ExitStatus::Success)
}

/// `cli` is the whole command line (`Cli::command()`), given by the caller.
pub fn man(args: ManArgs, cli: clap::Command) -> anyhow::Result<ExitStatus> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating man page directory {}", args.out.display()))?;
    clap_mangen::generate_to(cli, &args.out)
        .with_context(|| format!("writing man pages into {}", args.out.display()))?;
    Ok(ExitStatus::Success)
}
