//! The report: per profile what the handshake showed, the certificate findings, a verdict per
//! platform. `Serialize` for `--json`; `Display` for people.

use std::fmt;

use serde::Serialize;
use trust::lint::Finding;

use crate::{
    Alert, ClientHelloSize, HelloResult, LargeRecord, LimitOffer, Platform, Reason, Verdict,
    Version,
};

/// Everything one probe found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `HOST:PORT` as given.
    pub target: String,
    /// The chain the accessory served, when any profile got that far.
    pub chain: Option<Chain>,
    /// One result per profile, in the order they ran.
    pub profiles: Vec<ProfileResult>,
    /// The served chain linted with Apple's and Android's rules (and the X.509 rules every client
    /// applies); notes and warnings included, only errors fail a platform.
    pub findings: Vec<Finding>,
    /// Why the chain could not be linted, when it could not.
    pub lint_error: Option<String>,
    /// One verdict per platform whose profile ran.
    pub verdicts: Vec<Verdict>,
    /// After the handshake: record sizes (`None` when not checked: no chain was captured, or
    /// the check was turned off).
    pub records: Option<RecordChecks>,
}

/// After the handshake: can the accessory read the records a phone sends, and will it send
/// smaller ones when asked? Findings, not verdicts: a phone's record is 16 KB only when the app
/// writes that much at once, and no phone profile here offers the two extensions.
#[derive(Debug, Clone, Serialize)]
pub struct RecordChecks {
    /// One 16,384-byte application record after a pinned handshake (and smaller ones when it is
    /// refused); `None` when no pinned handshake completed.
    pub application: Option<LargeRecord>,
    /// `max_fragment_length` and `record_size_limit` offered at 512 bytes, each alone.
    pub limits: Vec<LimitOffer>,
}

impl RecordChecks {
    /// The offer of `extension` (`"max_fragment_length"`), if it was made.
    pub fn limit(&self, extension: &str) -> Option<&LimitOffer> {
        self.limits.iter().find(|l| l.extension.name() == extension)
    }
}

impl fmt::Display for RecordChecks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "after the handshake (record sizes; docs/client-profiles.md, \"Record sizes\"):"
        )?;
        match &self.application {
            Some(a) => {
                let wire = a
                    .tries
                    .first()
                    .and_then(|t| t.wire)
                    .map(|w| format!(", {w} B on the wire"))
                    .unwrap_or_default();
                writeln!(
                    f,
                    "  reads a 16384-byte application record: {} [{}{wire}]",
                    a.summary(),
                    a.profile
                )?;
            }
            None => writeln!(
                f,
                "  reads a 16384-byte application record: not checked (no pinned handshake completed)"
            )?,
        }
        for l in &self.limits {
            writeln!(f, "  {}", l.line())?;
        }
        Ok(())
    }
}

/// The chain the accessory served, as captured (never trusted).
#[derive(Debug, Clone, Serialize)]
pub struct Chain {
    /// How many certificates it had.
    pub certificates: usize,
    /// The leaf's subject.
    pub subject: Option<String>,
    /// The SPKI pin of the leaf (`sha256/BASE64`): what every later handshake was pinned to.
    pub pin: String,
    /// The profile whose handshake captured it.
    pub captured_with: &'static str,
}

/// What one profile's handshake showed.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileResult {
    /// The profile's name (`ios26`, `tls12-only`...).
    pub profile: &'static str,
    /// The client it stands for, in plain words (the profile's `emulates`).
    pub emulates: &'static str,
    /// The platform this profile decides, if any.
    pub platform: Option<Platform>,
    /// The ClientHello as it went on the wire.
    pub clienthello: Option<ClientHelloSize>,
    /// Its exact bytes (written by `--report DIR`, not serialized).
    #[serde(skip)]
    pub clienthello_bytes: Vec<u8>,
    /// The handshake completed and the accessory did not object afterwards.
    pub completed: bool,
    /// Negotiated, as far as the handshake got.
    pub version: Option<Version>,
    /// The key-exchange group (`X25519MLKEM768`); `None` when the handshake failed before the
    /// ServerHello.
    pub group: Option<String>,
    /// The cipher suite (`TLS13_AES_128_GCM_SHA256`); `None` like `group`.
    pub suite: Option<String>,
    /// The fatal alert the accessory sent.
    pub alert_received: Option<Alert>,
    /// The fatal alert the probe sent.
    pub alert_sent: Option<Alert>,
    /// The error the real platform would show.
    pub error: Option<PlatformError>,
    /// Why it failed, comparing with the other profiles.
    pub cause: Option<Reason>,
    /// The real platform's ClientHello (a public capture, refreshed), sent raw whole and split:
    /// the result above comes from rustls's own, smaller hello.
    pub faithful: Option<HelloResult>,
}

/// A failure as each platform names it, from `trust`'s diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformError {
    /// The stable diagnosis code (`tls.peer_alert.bad_certificate`).
    pub code: String,
    /// What happened.
    pub summary: String,
    /// What to change.
    pub fix: String,
    /// Apple's `errSSL…` name and number (`errSSLPeerBadCert`, -9825).
    pub apple: Option<AppleError>,
    /// Android's exception (`javax.net.ssl.SSLHandshakeException: …`).
    pub android: Option<String>,
}

/// An Apple `OSStatus` from SecureTransport.h / SecBase.h.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppleError {
    /// The constant's name (`errSSLPeerBadCert`).
    pub name: String,
    /// Its value (-9825).
    pub number: i32,
}

impl Report {
    /// True when every platform that was probed would connect.
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| v.passed)
    }

    /// The result of the profile called `name`.
    pub fn profile(&self, name: &str) -> Option<&ProfileResult> {
        self.profiles.iter().find(|p| p.profile == name)
    }

    /// The verdict for `platform`, if its profile ran.
    pub fn verdict(&self, platform: Platform) -> Option<&Verdict> {
        self.verdicts.iter().find(|v| v.platform == platform)
    }
}

impl fmt::Display for AppleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.number)
    }
}

/// The faithful hello's line under a profile: size, segments, both answers.
fn faithful_line(f: &mut fmt::Formatter<'_>, p: &ProfileResult) -> fmt::Result {
    let Some(h) = &p.faithful else {
        return Ok(());
    };
    writeln!(
        f,
        "{:<11} {:>12}  real {} hello: {}",
        "",
        format!("{} B", h.bytes),
        p.platform.map(|pl| pl.label()).unwrap_or(p.profile),
        h.summary()
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "accessory probe {}", self.target)?;
        match &self.chain {
            Some(c) => writeln!(
                f,
                "chain: {} certificate(s), leaf {}, pin {} (captured with {}, never trusted: every \
                 handshake below is pinned to this key)",
                c.certificates,
                c.subject.as_deref().unwrap_or("(unreadable subject)"),
                c.pin,
                c.captured_with
            )?,
            None => writeln!(
                f,
                "chain: not seen (no profile got as far as the certificate)"
            )?,
        }
        writeln!(f)?;
        if let Some(h) = self.profiles.iter().find_map(|p| p.faithful.as_ref()) {
            writeln!(
                f,
                "each profile: first rustls's hello (the pinned handshake), then \"real\": the \
                 platform's own hello (a public capture, fresh keys; docs/client-profiles.md), \
                 written whole and in segments of at most {} bytes, {} ms apart",
                h.segmentation.mss,
                h.segmentation.gap.as_millis()
            )?;
        }
        writeln!(f, "{:<11} {:>12}  result", "profile", "ClientHello")?;
        for p in &self.profiles {
            let hello = p
                .clienthello
                .map(|c| format!("{} B", c.record_bytes))
                .unwrap_or_else(|| "-".to_owned());
            if p.completed {
                writeln!(
                    f,
                    "{:<11} {:>12}  ok: {}, {}, {}",
                    p.profile,
                    hello,
                    p.version.map(|v| v.to_string()).unwrap_or_default(),
                    p.group.as_deref().unwrap_or("?"),
                    p.suite.as_deref().unwrap_or("?")
                )?;
                faithful_line(f, p)?;
                continue;
            }
            let what = match (&p.alert_received, &p.alert_sent, &p.error) {
                (Some(a), _, _) => format!("the accessory sent {a}"),
                (None, Some(a), Some(e)) => format!("{} (the probe sent {a})", e.summary),
                (None, _, Some(e)) => e.summary.clone(),
                (None, _, None) => "failed".to_owned(),
            };
            writeln!(f, "{:<11} {:>12}  FAILED: {what}", p.profile, hello)?;
            if let Some(v) = p.version {
                writeln!(
                    f,
                    "{:<26}after agreeing on {v}, {}",
                    "",
                    p.group.as_deref().unwrap_or("no group yet")
                )?;
            }
            if let Some(e) = &p.error {
                let apple = e.apple.as_ref().map(|a| a.to_string());
                writeln!(
                    f,
                    "{:<26}Apple: {}; Android: {}",
                    "",
                    apple.as_deref().unwrap_or("-"),
                    e.android.as_deref().unwrap_or("-")
                )?;
            }
            if let Some(c) = &p.cause {
                writeln!(f, "{:<26}cause: {}", "", c.what)?;
            }
            faithful_line(f, p)?;
        }
        if let Some(e) = &self.lint_error {
            writeln!(f, "\ncertificate rules: not checked: {e}")?;
        } else if self.chain.is_some() {
            if self.findings.is_empty() {
                writeln!(
                    f,
                    "\ncertificate rules (Apple, Android, X.509): nothing found"
                )?;
            } else {
                writeln!(f, "\ncertificate rules (Apple, Android, X.509):")?;
                for finding in &self.findings {
                    writeln!(
                        f,
                        "  {} {}: {} ({})",
                        finding.severity, finding.rule, finding.message, finding.source.name
                    )?;
                }
            }
        }
        if let Some(r) = &self.records {
            write!(f, "\n{r}")?;
        }
        writeln!(f, "\nverdict:")?;
        if self.verdicts.is_empty() {
            writeln!(
                f,
                "  no platform profile was run (ios26, ios18, android decide verdicts)"
            )?;
        }
        for v in &self.verdicts {
            if v.passed {
                writeln!(f, "  {:<8} passes ({})", v.platform.label(), v.profile)?;
                for n in &v.notes {
                    writeln!(f, "           note: {n}")?;
                }
                continue;
            }
            writeln!(f, "  {:<8} FAILS ({})", v.platform.label(), v.profile)?;
            for r in &v.reasons {
                writeln!(f, "           why: {}", r.what)?;
                if let Some(shown) = &r.shown {
                    writeln!(f, "           shows: {shown}")?;
                }
                writeln!(f, "           fix: {}", r.fix)?;
            }
            for n in &v.notes {
                writeln!(f, "           note: {n}")?;
            }
        }
        Ok(())
    }
}
