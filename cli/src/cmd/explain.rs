//! `accessory explain CODE`: a field error code's candidate causes, ranked, each with the
//! `accessory sim` command that reproduces it and the command that tells it from the others. The
//! table is `trust::diagnosis::EXPLANATIONS`; this module prints it.

use crate::exit::{codes, fail, ExitStatus};
use crate::output;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  accessory explain -9825                       # errSSLPeerBadCert from an iOS log
  accessory explain errSSLClosedAbort
  accessory explain 65                          # EHOSTUNREACH from connect()
  accessory explain CertPathValidatorException  # Android
  accessory explain -9825 --json | jq '.causes[0].reproduce'
  accessory explain --list

Exit status: 0 explained, 2 unknown code.")]
pub struct Args {
    /// The code as the field report has it: an Apple OSStatus (-9825) or its name
    /// (errSSLPeerBadCert), an errno (65, EHOSTUNREACH), an Android exception class.
    #[arg(
        value_name = "CODE",
        required_unless_present = "list",
        allow_hyphen_values = true
    )]
    pub code: Option<String>,
    /// List the codes explained.
    #[arg(long)]
    pub list: bool,
    /// Print JSON (for scripts) [default: text].
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitStatus> {
    if args.list {
        if args.json {
            output::json(&trust::diagnosis::EXPLANATIONS)?;
        } else {
            for e in trust::diagnosis::EXPLANATIONS {
                output::bytes(format!("{:<28} {} ({})\n", e.code, e.name, e.platform).as_bytes());
            }
        }
        return Ok(ExitStatus::Success);
    }
    let code = args.code.as_deref().unwrap_or_default();
    let Some(explanation) = trust::diagnosis::explain(code) else {
        return fail(
            codes::EXPLAIN_UNKNOWN_CODE,
            anyhow::anyhow!(
                "no explanation for `{code}`: `accessory explain --list` lists the codes"
            ),
        );
    };
    if args.json {
        output::json(explanation)?;
    } else {
        output::bytes(explanation.to_string().as_bytes());
    }
    Ok(ExitStatus::Success)
}
