//! `accessory probe --report DIR`: something to attach to a bug. The report as JSON and as text,
//! the exact ClientHello bytes of every attempt, and a transcript of each attempt.
//!
//! Layout (file names are stable; NN orders the attempts as they were made per profile):
//!
//! - `report.json`, `report.txt`: the report, verdicts included, as `--json` and the text print it.
//! - `NN-PROFILE-rustls.clienthello.bin`: the first write of that profile's rustls handshake, byte
//!   for byte (the ClientHello record).
//! - `NN-PROFILE-real.clienthello.bin`: the faithful hello sent raw (whole and split: the same
//!   bytes).
//! - `NN-PROFILE.transcript.txt`: what was sent (sizes, segments, SHA-256 of each hello) and what
//!   came back, attempt by attempt.
//!
//! Nothing is overwritten: the directory must be new or empty, and every file is created new.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::report::ProfileResult;
use crate::{Error, Report};

/// Writes `report` into `dir` (created if missing; refused when it exists and is not empty).
/// Returns the files written, in order.
pub fn write_report_dir(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let fail = |reason: String| Error::ReportDir {
        path: dir.to_owned(),
        reason,
    };
    if dir.exists() {
        let mut entries = fs::read_dir(dir).map_err(|e| fail(e.to_string()))?;
        if entries.next().is_some() {
            return Err(fail(
                "the directory is not empty (nothing is overwritten)".into(),
            ));
        }
    } else {
        fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    }
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), Error> {
        let path = dir.join(name);
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| fail(format!("{name}: {e}")))?;
        f.write_all(bytes)
            .map_err(|e| fail(format!("{name}: {e}")))?;
        written.push(path);
        Ok(())
    };
    let json = serde_json::to_vec_pretty(report).map_err(|e| fail(e.to_string()))?;
    put("report.json", &json)?;
    put("report.txt", report.to_string().as_bytes())?;
    for (i, p) in report.profiles.iter().enumerate() {
        let n = i + 1;
        if !p.clienthello_bytes.is_empty() {
            put(
                &format!("{n:02}-{}-rustls.clienthello.bin", p.profile),
                &p.clienthello_bytes,
            )?;
        }
        if let Some(h) = p.faithful.as_ref().filter(|h| !h.record.is_empty()) {
            put(
                &format!("{n:02}-{}-real.clienthello.bin", p.profile),
                &h.record,
            )?;
        }
        put(
            &format!("{n:02}-{}.transcript.txt", p.profile),
            transcript(p).as_bytes(),
        )?;
    }
    Ok(written)
}

/// What was sent and what came back, for one profile.
fn transcript(p: &ProfileResult) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "profile {} ({})", p.profile, p.emulates);
    let _ = writeln!(
        t,
        "\n1. rustls handshake: ClientHello {} bytes, sha256 {}",
        p.clienthello_bytes.len(),
        sha256_hex(&p.clienthello_bytes)
    );
    if let Some(v) = p.version {
        let _ = writeln!(
            t,
            "   negotiated {v}, group {}, suite {}",
            p.group.as_deref().unwrap_or("-"),
            p.suite.as_deref().unwrap_or("-")
        );
    }
    if let Some(a) = &p.alert_received {
        let _ = writeln!(t, "   alert received: {a}");
    }
    if let Some(a) = &p.alert_sent {
        let _ = writeln!(t, "   alert sent: {a}");
    }
    match &p.error {
        None if p.completed => {
            let _ = writeln!(t, "   completed; close_notify sent, no objection");
        }
        None => {}
        Some(e) => {
            let _ = writeln!(t, "   failed: {} [{}]", e.summary, e.code);
            if let Some(a) = &e.apple {
                let _ = writeln!(t, "   Apple: {a}");
            }
            if let Some(a) = &e.android {
                let _ = writeln!(t, "   Android: {a}");
            }
        }
    }
    if let Some(h) = &p.faithful {
        let _ = writeln!(
            t,
            "\n2. {}: {} bytes, sha256 {}\n   whole (one write): {}",
            h.source,
            h.bytes,
            sha256_hex(&h.record),
            h.whole
        );
        if let Some(split) = &h.split {
            let _ = writeln!(
                t,
                "   split ({} segments of at most {} bytes, {} ms apart): {split}",
                h.segments,
                h.segmentation.mss,
                h.segmentation.gap.as_millis()
            );
        }
    }
    t
}

fn sha256_hex(bytes: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
