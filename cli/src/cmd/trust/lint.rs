//! `accessory trust lint`: will iOS, Android or a Web PKI client accept this certificate?

use std::path::PathBuf;

use trust::lint::{self, LintOptions, Role, RuleBook};

use crate::exit::{codes, fail, failed, ExitStatus};
use crate::output;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when no finding is an error (warnings and notes allowed), 1 when any
finding is an error, 3 when the file cannot be read. Suitable as a factory CI gate.

Examples:
  accessory trust lint device-chain.pem --profile apple
  accessory trust lint device.der --profile all --json | jq '.findings[] | .rule'
  accessory trust lint maker-root.pem --role ca"
)]
pub struct LintArgs {
    /// The certificate or chain as served, leaf first (PEM or DER; `-` reads standard input).
    pub file: PathBuf,
    /// Whose rules: apple (iOS 13+/macOS 10.15+), android (7+, Conscrypt), webpki (CA/B Forum
    /// Baseline Requirements), or all [default: all]
    #[arg(long, default_value = "all", hide_possible_values = true,
          value_parser = crate::suggest::suggest(parse_profile, crate::suggest::rule_book_names))]
    pub profile: RuleBook,
    /// How to read the first certificate: server, ca, or auto (a CA:TRUE certificate with neither
    /// subjectAltName nor extendedKeyUsage is a CA) [default: auto]
    #[arg(long, default_value = "auto", value_parser = parse_role)]
    pub role: Role,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_profile(s: &str) -> Result<RuleBook, String> {
    s.parse()
}

fn parse_role(s: &str) -> Result<Role, String> {
    match s {
        "auto" => Ok(Role::Auto),
        "server" => Ok(Role::Server),
        "ca" => Ok(Role::Ca),
        other => Err(format!(
            "unknown role {other:?} (expected auto, server or ca)"
        )),
    }
}

pub fn lint(a: LintArgs) -> anyhow::Result<ExitStatus> {
    let chain = match trust::load_certificates(&a.file) {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let mut options = LintOptions::new(a.profile);
    options.role = a.role;
    let report = match lint::lint(&chain, &options) {
        Ok(r) => r,
        Err(e) => {
            let shown = a.file.display().to_string();
            return fail(
                codes::INPUT_BAD_CERTIFICATE,
                anyhow::Error::new(e).context(shown),
            );
        }
    };
    if a.json {
        output::json(&report)?;
    } else {
        output::bytes(report.text(&a.file.display().to_string()).as_bytes());
    }
    Ok(if report.passed {
        ExitStatus::Success
    } else {
        ExitStatus::Verdict
    })
}
