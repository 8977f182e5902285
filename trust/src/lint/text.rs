//! A lint report as a person reads it (`accessory trust lint`, `accessory trust fetch`).

use std::fmt::Write;

use super::{LintReport, Role, Severity};

impl LintReport {
    /// The report in lines: a summary naming `what` was linted, then each certificate and its
    /// findings with their sources. Every line ends with a newline.
    pub fn text(&self, what: &str) -> String {
        let profile = serde_json::to_value(self.profile)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "lint {what} (profile {profile}): {} error(s), {} warning(s), {} note(s): {}",
            self.count(Severity::Error),
            self.count(Severity::Warning),
            self.count(Severity::Note),
            if self.passed { "PASS" } else { "FAIL" }
        );
        for c in &self.certificates {
            let role = match c.role {
                Role::Server => "server certificate",
                Role::Ca => "CA",
                Role::Auto => "certificate",
            };
            let _ = writeln!(out, "certificate #{} ({role}): {}", c.index, c.subject);
            if let (Some(r), Some(why)) = (c.anchor_role, &c.anchor_role_reason) {
                let _ = writeln!(out, "  as a trust anchor: {r} ({}): it {why}", r.meaning());
            }
            for f in self.findings.iter().filter(|f| f.certificate == c.index) {
                let _ = writeln!(
                    out,
                    "  {:<7} {}  [{}] {}",
                    f.severity, f.rule, f.field, f.message
                );
                let _ = writeln!(
                    out,
                    "          source: {} <{}>",
                    f.source.name, f.source.url
                );
            }
        }
        out
    }
}
