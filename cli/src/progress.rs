//! Long work is never silent: a run's [`provision::Event`]s shown as it goes.
//!
//! - On a terminal (stderr is a tty), one line, redrawn in place with the phase and the elapsed
//!   time, ticking between events (`waiting for the accessory to join (connecting): 6.2 s`); the
//!   line is cleared when the run ends, so the outcome prints on a clean line.
//! - On a pipe or a file, one line per event on stderr (`accessory: 0.04 s: TLS handshake`): no
//!   carriage returns or escape codes in logs.
//! - With `--events PATH` (`-` for stdout), every event also as one JSON object per line (NDJSON),
//!   flushed as it happens, for machines: `{"event":"tls","elapsed_ms":41}`.
//!
//! The library only emits; this module is the only place that prints them.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use provision::{Observer, Timed};

use crate::exit::{codes, Failure};

/// How often the terminal line is redrawn between events.
const TICK: Duration = Duration::from_millis(200);

/// `--events PATH`: where the NDJSON events go.
#[derive(Debug, Clone, clap::Args)]
pub struct EventsArgs {
    /// Write every progress event as one JSON object per line (NDJSON) to PATH, `-` for stdout:
    /// `{"event":"waiting","state":"connecting","elapsed_ms":6012}`. provision: joining,
    /// connecting, tls, verifying, sending, waiting, leaving, recording; probe, per profile:
    /// capturing, handshake, real_hello. With --json, give a file: stdout is the JSON result's.
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::FilePath)]
    pub events: Option<PathBuf>,
}

/// Where the NDJSON lines go.
enum Sink {
    Stdout,
    File(File),
}

struct Shared {
    /// The terminal line now: the phase's text and its elapsed time at the event.
    line: Mutex<Option<String>>,
    terminal: bool,
    sink: Mutex<Option<Sink>>,
    observer_start: std::time::Instant,
}

/// The display of one run's progress. Dropping it stops the ticker and clears the line.
pub struct Progress {
    shared: Arc<Shared>,
    observer: Observer,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Starts showing progress on stderr, and NDJSON to `events.events` when given. Needs a
    /// runtime (the terminal ticker is a task).
    pub fn start(events: &EventsArgs) -> anyhow::Result<Self> {
        let sink = match events.events.as_deref() {
            None => None,
            Some(p) if p == Path::new("-") => Some(Sink::Stdout),
            Some(p) => Some(Sink::File(File::create(p).map_err(|e| {
                Failure::coded(codes::OUTPUT_WRITE, e).context(format!("--events {}", p.display()))
            })?)),
        };
        let shared = Arc::new(Shared {
            line: Mutex::new(None),
            terminal: std::io::stderr().is_terminal(),
            sink: Mutex::new(sink),
            observer_start: std::time::Instant::now(),
        });
        let heard = Arc::clone(&shared);
        let observer = Observer::new(move |t| heard.heard(t));
        let ticker = shared.terminal.then(|| {
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(TICK);
                loop {
                    tick.tick().await;
                    shared.redraw();
                }
            })
        });
        Ok(Self {
            shared,
            observer,
            ticker,
        })
    }

    /// The observer to give the run (and the Wi-Fi lifecycle around it).
    pub fn observer(&self) -> &Observer {
        &self.observer
    }

    /// The observer to give `probe::run_observed`: `{"event":"handshake","profile":"ios26",
    /// "elapsed_ms":812}`.
    pub fn probe_observer(&self) -> impl Fn(probe::ProbeStep) + Sync + '_ {
        move |step| {
            let elapsed_ms = self.shared.observer_start.elapsed().as_millis() as u64;
            let mut json = serde_json::to_value(&step).unwrap_or_default();
            if let Some(map) = json.as_object_mut() {
                map.insert("elapsed_ms".into(), elapsed_ms.into());
            }
            self.shared
                .show(json.to_string(), step.to_string(), elapsed_ms);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(t) = self.ticker.take() {
            t.abort();
        }
        if self.shared.terminal && self.shared.line.lock().is_ok_and(|l| l.is_some()) {
            // Clear the progress line: the outcome or the error prints on a clean one.
            eprint!("\r\x1b[2K");
        }
    }
}

impl Shared {
    fn heard(&self, t: Timed) {
        let json = serde_json::to_string(&t).unwrap_or_default();
        self.show(json, t.event.to_string(), t.elapsed_ms);
    }

    /// One event: its NDJSON line (to the sink, if any) and its text (on stderr).
    fn show(&self, json: String, text: String, elapsed_ms: u64) {
        if let Ok(mut sink) = self.sink.lock() {
            if let Some(sink) = sink.as_mut() {
                match sink {
                    Sink::Stdout => crate::output::line(format_args!("{json}")),
                    Sink::File(f) => {
                        // A full disk must not end the run: the events are a view of it.
                        let _ = writeln!(f, "{json}").and_then(|()| f.flush());
                    }
                }
            }
        }
        if self.terminal {
            if let Ok(mut line) = self.line.lock() {
                *line = Some(text);
            }
            self.redraw();
        } else {
            eprintln!("accessory: {}: {text}", seconds(elapsed_ms));
        }
    }

    fn redraw(&self) {
        let Ok(line) = self.line.lock() else { return };
        if let Some(text) = line.as_ref() {
            let ms = self.observer_start.elapsed().as_millis() as u64;
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2Kaccessory: {text}: {}", seconds(ms));
            let _ = err.flush();
        }
    }
}

/// `6.2 s`.
fn seconds(ms: u64) -> String {
    format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
}
