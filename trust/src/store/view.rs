//! How stored anchors read: the role each plays, the `--json` shapes, the table and the detail
//! (`accessory trust list`, `show`, `add`, `remove`).

use std::fmt;
use std::path::Path;

use rustls_pki_types::CertificateDer;
use serde::Serialize;

use super::{Added, StoredAnchor};
use crate::AnchorRole;

impl StoredAnchor {
    /// The anchor's role as the verifier will apply it; a certificate the store cannot decode is
    /// an endpoint (the verifier would not let it issue either).
    pub fn role_or_endpoint(&self) -> (AnchorRole, String) {
        self.role()
            .unwrap_or_else(|e| (AnchorRole::Endpoint, format!("cannot be read ({e})")))
    }

    /// `endpoint: authenticates this accessory only, never issues (it names a host ...)`.
    pub fn role_text(&self) -> String {
        let (role, why) = self.role_or_endpoint();
        format!("{role}: {} (it {why})", role.meaning())
    }

    /// `leaf`, `root`, `ca`, `self-signed` or `other`.
    pub fn kind(&self) -> &'static str {
        match (self.ca, self.self_signed, self.leaf) {
            (_, _, true) => "leaf",
            (true, true, _) => "root",
            (true, false, _) => "ca",
            (false, true, _) => "self-signed",
            _ => "other",
        }
    }
}

/// The anchors as a table (`accessory trust list`): a header, one line each.
pub fn table(anchors: &[StoredAnchor]) -> String {
    let mut out = format!(
        "{:<16}  {:<24}  {:<10}  {:<8}  {:<20}  subject\n",
        "id", "label", "kind", "role", "not after"
    );
    for x in anchors {
        out.push_str(&format!(
            "{:<16}  {:<24}  {:<10}  {:<8}  {:<20}  {}\n",
            x.id,
            x.label,
            x.kind(),
            x.role_or_endpoint().0,
            x.not_after,
            x.subject
        ));
    }
    out
}

/// One anchor in full (`accessory trust show`), a line per field.
impl fmt::Display for StoredAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self;
        writeln!(f, "label        {}", x.label)?;
        writeln!(f, "id           {}", x.id)?;
        writeln!(f, "kind         {}", x.kind())?;
        writeln!(f, "role         {}", x.role_text())?;
        writeln!(f, "subject      {}", x.subject)?;
        writeln!(f, "issuer       {}", x.issuer)?;
        writeln!(f, "valid        {} to {}", x.not_before, x.not_after)?;
        writeln!(f, "SHA-256      {}", x.fingerprint)?;
        writeln!(f, "pin          {}", x.pin)?;
        writeln!(f, "added        {}", x.added)?;
        if let Some(n) = &x.note {
            writeln!(f, "note         {n}")?;
        }
        Ok(())
    }
}

/// An anchor with its role, for `--json` (`add`, `show`).
#[derive(Debug, Serialize)]
pub struct WithRole<'a> {
    /// The anchor.
    #[serde(flatten)]
    pub anchor: &'a StoredAnchor,
    /// Its role.
    pub role: AnchorRole,
    /// Why.
    pub role_reason: String,
}

impl<'a> WithRole<'a> {
    /// `anchor` with its role.
    pub fn of(anchor: &'a StoredAnchor) -> Self {
        let (role, role_reason) = anchor.role_or_endpoint();
        Self {
            anchor,
            role,
            role_reason,
        }
    }
}

impl Added {
    /// What `add --json` prints for it.
    pub fn json(&self) -> AddedOut<'_> {
        let (outcome, anchor) = match self {
            Added::Added(x) => ("added", x),
            Added::AlreadyPresent(x) => ("already_present", x),
        };
        AddedOut {
            outcome,
            anchor: WithRole::of(anchor),
        }
    }

    /// What `add` prints for it, without a final newline; `dir` is the store's directory.
    pub fn describe(&self, dir: &Path) -> String {
        match self {
            Added::Added(x) => format!(
                "added {} (id {}) to {}\n  subject {}\n  SHA-256 {}\n  pin     {}\n  valid   {} to {}\n  role    {}{}",
                x.label,
                x.id,
                dir.display(),
                x.subject,
                x.fingerprint,
                x.pin,
                x.not_before,
                x.not_after,
                x.role_text(),
                if x.leaf { "\n  (a leaf, added with --allow-leaf)" } else { "" }
            ),
            Added::AlreadyPresent(x) => format!(
                "already in the store as {} (id {}, added {}): nothing changed",
                x.label, x.id, x.added
            ),
        }
    }

    /// What phones will think of a new anchor (`cert`, the certificate added): a weak root
    /// (RSA-1024, SHA-1 issuing CA) fails on every device it is exported to, so say it when it is
    /// added rather than after distribution. Lint findings above note severity, one line each;
    /// none for an anchor that was already present.
    ///
    /// An endpoint anchor with CA:TRUE (a device certificate as `openssl req -x509` makes it) is
    /// the case README.md supports: its `webpki.ca_as_end_entity` finding is a note
    /// ([`Added::notes`]), not a warning.
    pub fn warnings(&self, cert: &CertificateDer<'_>) -> Vec<String> {
        self.findings(cert, false)
    }

    /// What is worth knowing and needs no action: CA:TRUE on an endpoint anchor, accepted as
    /// this accessory's own certificate only, never as an issuer.
    pub fn notes(&self, cert: &CertificateDer<'_>) -> Vec<String> {
        self.findings(cert, true)
    }

    fn findings(&self, cert: &CertificateDer<'_>, notes: bool) -> Vec<String> {
        let Added::Added(x) = self else {
            return Vec::new();
        };
        let options = crate::lint::LintOptions::new(crate::lint::RuleBook::All);
        let Ok(report) = crate::lint::lint(std::slice::from_ref(cert), &options) else {
            return Vec::new();
        };
        let endpoint = matches!(x.role(), Ok((AnchorRole::Endpoint, _)));
        let supported = |rule: &str| endpoint && rule == "webpki.ca_as_end_entity";
        report
            .findings
            .iter()
            .filter(|f| f.severity > crate::lint::Severity::Note)
            .filter(|f| supported(f.rule) == notes)
            .map(|f| {
                if notes {
                    format!(
                        "{}: CA:TRUE on an accessory's own certificate (as `openssl req -x509` \
                         makes it) is accepted here as an endpoint anchor: it authenticates this \
                         accessory only and never issues ({})",
                        x.label, f.rule
                    )
                } else {
                    format!(
                        "{}: {} ({} under these rules): {} (source: {})",
                        x.label, f.rule, f.severity, f.message, f.source.url
                    )
                }
            })
            .collect()
    }
}

/// What `add --json` prints for each certificate.
#[derive(Debug, Serialize)]
pub struct AddedOut<'a> {
    /// `added` or `already_present`.
    pub outcome: &'static str,
    /// The anchor.
    pub anchor: WithRole<'a>,
}

/// What `list --json` prints: everything but the PEM (`show --json` has it).
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    id: &'a str,
    label: &'a str,
    kind: &'static str,
    role: AnchorRole,
    role_reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    fingerprint: &'a str,
    pin: &'a str,
    subject: &'a str,
    issuer: &'a str,
    not_before: &'a str,
    not_after: &'a str,
    added: &'a str,
}

impl<'a> From<&'a StoredAnchor> for Summary<'a> {
    fn from(x: &'a StoredAnchor) -> Self {
        let (role, role_reason) = x.role_or_endpoint();
        Self {
            id: &x.id,
            label: &x.label,
            kind: x.kind(),
            role,
            role_reason,
            note: x.note.as_deref(),
            fingerprint: &x.fingerprint,
            pin: &x.pin,
            subject: &x.subject,
            issuer: &x.issuer,
            not_before: &x.not_before,
            not_after: &x.not_after,
            added: &x.added,
        }
    }
}
