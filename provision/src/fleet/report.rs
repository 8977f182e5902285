//! What a fleet run ends with: every accessory's result, counts by outcome and diagnosis code,
//! the slowest, and where it stopped if it was interrupted. Serializes for `--json`; its `Display`
//! is the summary a person reads; [`Report::write_csv`] is `--report-csv`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::step::Step;

/// How many of the slowest accessories the report names.
pub const SLOWEST: usize = 5;

/// How one accessory's part of the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// It joined the network in this run.
    Connected,
    /// It did not; the code says why.
    Failed,
    /// The ledger held a success from an earlier run (no `--force`).
    Skipped,
    /// The run was stopped before it was started; the next run does it.
    NotStarted,
    /// Another station held its claim (it was provisioning it, or died less than a lease ago);
    /// the next run after the lease does it, or skips it if that station finished it.
    Held,
}

impl Disposition {
    /// The word used in reports and the CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::NotStarted => "not_started",
            Self::Held => "held",
        }
    }
}

/// One accessory's result: a row of `--report-csv`.
#[derive(Debug, Clone, Serialize)]
pub struct AccessoryResult {
    /// The accessory's device id.
    pub device_id: String,
    /// Where it is reached (`host:port`).
    pub address: String,
    /// How it ended.
    pub outcome: Disposition,
    /// The diagnosis code of a failure.
    pub code: Option<&'static str>,
    /// The step a failure stopped at.
    pub step: Option<Step>,
    /// Whether the home network was sent (a failure after sending it is not a trust failure).
    pub credentials_sent: bool,
    /// Time spent on it in this run (0 when skipped or not started).
    pub elapsed_ms: u64,
    /// The ledger attempt (this run's; for a skipped one, the earlier success).
    pub attempt: Option<i64>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The inventory file.
    pub inventory: String,
    /// How many accessories the inventory lists.
    pub total: usize,
    /// Count per [`Disposition`] (`connected`, `failed`, `skipped`, `not_started`, `held`).
    pub counts: BTreeMap<&'static str, usize>,
    /// Failures per diagnosis code.
    pub by_code: BTreeMap<&'static str, usize>,
    /// The slowest accessories worked on in this run, slowest first.
    pub slowest: Vec<AccessoryResult>,
    /// Whether a stop (Ctrl-C) ended the run early.
    pub interrupted: bool,
    /// The first accessory (in inventory order) not started, when the run stopped early.
    pub stopped_before: Option<String>,
    /// Wall time of the run.
    pub elapsed_ms: u64,
    /// Accessories worked on per second of wall time.
    pub rate_per_second: f64,
    /// Every accessory, in inventory order.
    pub results: Vec<AccessoryResult>,
}

impl Report {
    /// Builds the report from the results (in inventory order).
    pub fn new(
        inventory: String,
        results: Vec<AccessoryResult>,
        interrupted: bool,
        elapsed_ms: u64,
    ) -> Self {
        let mut counts = BTreeMap::new();
        let mut by_code = BTreeMap::new();
        for r in &results {
            *counts.entry(r.outcome.as_str()).or_insert(0) += 1;
            if let Some(code) = r.code {
                *by_code.entry(code).or_insert(0) += 1;
            }
        }
        let mut worked: Vec<_> = results
            .iter()
            .filter(|r| matches!(r.outcome, Disposition::Connected | Disposition::Failed))
            .cloned()
            .collect();
        let done = worked.len();
        worked.sort_by_key(|r| std::cmp::Reverse(r.elapsed_ms));
        worked.truncate(SLOWEST);
        let stopped_before = results
            .iter()
            .find(|r| r.outcome == Disposition::NotStarted)
            .map(|r| r.device_id.clone());
        Report {
            inventory,
            total: results.len(),
            counts,
            by_code,
            slowest: worked,
            interrupted,
            stopped_before,
            elapsed_ms,
            rate_per_second: if elapsed_ms == 0 {
                0.0
            } else {
                done as f64 * 1000.0 / elapsed_ms as f64
            },
            results,
        }
    }

    /// How many ended so.
    pub fn count(&self, outcome: Disposition) -> usize {
        self.counts.get(outcome.as_str()).copied().unwrap_or(0)
    }

    /// Whether every accessory is provisioned (in this run or before).
    pub fn all_done(&self) -> bool {
        self.count(Disposition::Connected) + self.count(Disposition::Skipped) == self.total
    }

    /// Writes every accessory's result as CSV (one header line; the columns of
    /// [`AccessoryResult`]).
    pub fn write_csv(&self, path: &Path) -> std::io::Result<()> {
        let mut w = csv::Writer::from_path(path)?;
        w.write_record([
            "device_id",
            "address",
            "outcome",
            "code",
            "step",
            "credentials_sent",
            "elapsed_ms",
            "attempt",
        ])?;
        for r in &self.results {
            w.write_record([
                r.device_id.as_str(),
                r.address.as_str(),
                r.outcome.as_str(),
                r.code.unwrap_or(""),
                &r.step.map(|s| step_word(s).to_owned()).unwrap_or_default(),
                if r.credentials_sent { "true" } else { "false" },
                &r.elapsed_ms.to_string(),
                &r.attempt.map(|a| a.to_string()).unwrap_or_default(),
            ])?;
        }
        w.flush()
    }
}

/// The step's JSON name (`status`, `handshake`...).
fn step_word(step: Step) -> String {
    serde_json::to_value(step)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The summary: counts, codes, the slowest, where it stopped.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} accessories in {:.1} s ({:.1}/s): {} connected, {} failed, {} skipped (done before), {} not started, {} held by another station",
            self.total,
            self.elapsed_ms as f64 / 1000.0,
            self.rate_per_second,
            self.count(Disposition::Connected),
            self.count(Disposition::Failed),
            self.count(Disposition::Skipped),
            self.count(Disposition::NotStarted),
            self.count(Disposition::Held),
        )?;
        if !self.by_code.is_empty() {
            writeln!(f, "failures by diagnosis:")?;
            for (code, n) in &self.by_code {
                writeln!(f, "  {n:>5}  {code}")?;
            }
        }
        if !self.slowest.is_empty() {
            writeln!(f, "slowest:")?;
            for r in &self.slowest {
                writeln!(
                    f,
                    "  {:>7} ms  {}  {}{}",
                    r.elapsed_ms,
                    r.device_id,
                    r.outcome.as_str(),
                    r.code.map(|c| format!(" [{c}]")).unwrap_or_default()
                )?;
            }
        }
        if self.interrupted {
            match &self.stopped_before {
                Some(id) => writeln!(
                    f,
                    "interrupted: stopped before {id}; run the same inventory again to resume"
                )?,
                None => writeln!(f, "interrupted after every accessory had started")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(
        id: &str,
        outcome: Disposition,
        code: Option<&'static str>,
        ms: u64,
    ) -> AccessoryResult {
        AccessoryResult {
            device_id: id.into(),
            address: "127.0.0.1:1".into(),
            outcome,
            code,
            step: code.map(|_| Step::Handshake),
            credentials_sent: false,
            elapsed_ms: ms,
            attempt: Some(1),
        }
    }

    #[test]
    fn a_report_counts_by_outcome_and_code_and_names_the_slowest_and_where_it_stopped() {
        let results = vec![
            result("A", Disposition::Connected, None, 10),
            result("B", Disposition::Failed, Some("cert.expired"), 30),
            result("C", Disposition::Failed, Some("cert.expired"), 5),
            result("D", Disposition::Skipped, None, 0),
            result("E", Disposition::NotStarted, None, 0),
        ];
        let r = Report::new("inv.csv".into(), results, true, 2000);
        assert_eq!(r.count(Disposition::Failed), 2);
        assert_eq!(r.by_code["cert.expired"], 2);
        assert_eq!(r.slowest[0].device_id, "B");
        assert_eq!(r.slowest.len(), 3);
        assert_eq!(r.stopped_before.as_deref(), Some("E"));
        assert!((r.rate_per_second - 1.5).abs() < 1e-9);
        assert!(!r.all_done());
        let text = r.to_string();
        assert!(
            text.contains("1 connected, 2 failed, 1 skipped (done before), 1 not started"),
            "{text}"
        );
        assert!(text.contains("stopped before E"), "{text}");

        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("r.csv");
        r.write_csv(&csv).unwrap();
        let written = std::fs::read_to_string(&csv).unwrap();
        assert!(written.starts_with(
            "device_id,address,outcome,code,step,credentials_sent,elapsed_ms,attempt\n"
        ));
        assert!(
            written.contains("B,127.0.0.1:1,failed,cert.expired,handshake,false,30,1\n"),
            "{written}"
        );
    }
}
