//! The served chain against the platforms' certificate rules: `trust::lint`, asked twice.
//!
//! The rules themselves live in `trust` (one catalogue for `trust lint` and for the probe). This
//! module only asks for Apple's and Android's books, treats the first certificate as the server's
//! (an accessory's self-signed CA:TRUE leaf is still its server certificate), and merges the two
//! answers, keeping each X.509 finding (which both books include) once.

use rustls::pki_types::CertificateDer;
use trust::lint::{lint, Finding, LintOptions, Role, RuleBook};

/// What the rules say about a served chain.
pub(crate) struct Linted {
    pub findings: Vec<Finding>,
    /// The leaf's subject, as the linter read it.
    pub subject: Option<String>,
}

/// Lints `chain` (leaf first) with Apple's and Android's rules.
pub(crate) fn served_chain(chain: &[CertificateDer<'_>]) -> Result<Linted, String> {
    let mut findings: Vec<Finding> = Vec::new();
    let mut subject = None;
    for book in [RuleBook::Apple, RuleBook::Android] {
        let options = LintOptions {
            role: Role::Server,
            ..LintOptions::new(book)
        };
        let report = lint(chain, &options).map_err(|e| e.to_string())?;
        if subject.is_none() {
            subject = report.certificates.first().map(|c| c.subject.clone());
        }
        for f in report.findings {
            let duplicate = findings
                .iter()
                .any(|g| g.rule == f.rule && g.certificate == f.certificate);
            if !duplicate {
                findings.push(f);
            }
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.certificate.cmp(&b.certificate))
    });
    Ok(Linted { findings, subject })
}
