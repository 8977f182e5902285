//! `accessory trust lint`: will iOS, Android or a Web PKI client accept this certificate?

use std::path::PathBuf;

use trust::lint::{self, LintOptions, LintProfile, LintReport, Role, Severity};

use crate::exit::{fail, Status};
use crate::output::{self, say};

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
    #[arg(long, default_value = "all", value_parser = parse_profile)]
    pub profile: LintProfile,
    /// How to read the first certificate: server, ca, or auto (a CA:TRUE certificate with neither
    /// subjectAltName nor extendedKeyUsage is a CA) [default: auto]
    #[arg(long, default_value = "auto", value_parser = parse_role)]
    pub role: Role,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_profile(s: &str) -> Result<LintProfile, String> {
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

pub fn lint(a: LintArgs) -> anyhow::Result<Status> {
    let chain = match trust::load_certificates(&a.file) {
        Ok(c) => c,
        Err(e) => return fail(Status::BadInput, e.code(), e),
    };
    let mut options = LintOptions::new(a.profile);
    options.role = a.role;
    let report = match lint::lint(&chain, &options) {
        Ok(r) => r,
        Err(e) => {
            let shown = a.file.display().to_string();
            return fail(
                Status::BadInput,
                "input.bad_certificate",
                anyhow::Error::new(e).context(shown),
            );
        }
    };
    if a.json {
        output::json(&report)?;
    } else {
        print_report(&a.file.display().to_string(), &report);
    }
    Ok(if report.passed {
        Status::Success
    } else {
        Status::Verdict
    })
}

/// The human form of a report; `trust fetch` prints the same.
pub fn print_report(what: &str, report: &LintReport) {
    let profile = serde_json::to_value(report.profile)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    say!(
        "lint {what} (profile {profile}): {} error(s), {} warning(s), {} note(s): {}",
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note),
        if report.passed { "PASS" } else { "FAIL" }
    );
    for c in &report.certificates {
        let role = match c.role {
            Role::Server => "server certificate",
            Role::Ca => "CA",
            Role::Auto => "certificate",
        };
        say!("certificate #{} ({role}): {}", c.index, c.subject);
        if let (Some(r), Some(why)) = (c.anchor_role, &c.anchor_role_reason) {
            say!("  as a trust anchor: {r} ({}): it {why}", r.meaning());
        }
        for f in report.findings.iter().filter(|f| f.certificate == c.index) {
            say!(
                "  {:<7} {}  [{}] {}",
                f.severity,
                f.rule,
                f.field,
                f.message
            );
            say!("          source: {} <{}>", f.source.name, f.source.url);
        }
    }
}
