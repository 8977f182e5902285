//! The simulated accessory as an ESP-IDF device, and Espressif's own Python client
//! (`tests/scripts/esp/esp_client.py` on `rmaker_tools` from esp-rainmaker-cli 1.14.1).
//!
//! The client's venv is made by `scripts/install-deps.sh` at `target/esp-venv`; `ESP_PROV_PYTHON`
//! names another Python that has it. Without one, [`python`] records a visible skip (a failure
//! under CI).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use accessory_sim::{EspAuth, EspOptions, EspSimulator, EspTransport, RunningEsp, Scenario};
use serde_json::Value;

use crate::skip::{skip, Missing};

/// The Python that has Espressif's client, or a recorded skip.
#[track_caller]
pub fn python() -> Option<PathBuf> {
    let candidates = std::env::var_os("ESP_PROV_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([workspace().join("target/esp-venv/bin/python")]);
    for p in candidates {
        let ok = Command::new(&p)
            .args(["-c", "import rmaker_tools"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(p);
        }
    }
    skip(
        Missing::Dependency,
        "Espressif's Python client is not installed (`make deps` makes target/esp-venv)",
    );
    None
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_owned()
}

/// A script in tests/scripts/esp.
pub fn script(name: &str) -> PathBuf {
    workspace().join("tests/scripts/esp").join(name)
}

/// An ESP-IDF simulated accessory on 127.0.0.1, with its runtime and handout directory.
pub struct EspServed {
    runtime: tokio::runtime::Runtime,
    sim: Option<RunningEsp>,
    /// Anchors (HTTPS) and secret files.
    pub dir: tempfile::TempDir,
}

impl EspServed {
    /// Starts `scenario` as an ESP-IDF device.
    #[track_caller]
    pub fn start(scenario: Scenario, auth: EspAuth, transport: EspTransport) -> EspServed {
        Self::start_with(
            scenario,
            EspOptions {
                auth,
                transport,
                stuck_connecting: false,
            },
        )
    }

    /// Starts `scenario` with these options.
    #[track_caller]
    pub fn start_with(scenario: Scenario, options: EspOptions) -> EspServed {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let sim = runtime
            .block_on(EspSimulator::start(
                scenario,
                "127.0.0.1:0".parse().unwrap(),
                options,
            ))
            .expect("the ESP simulator starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        if let Some(pem) = sim.anchors_pem() {
            std::fs::write(dir.path().join("anchors.pem"), pem).expect("writing the anchors");
        }
        EspServed {
            runtime,
            sim: Some(sim),
            dir,
        }
    }

    /// The simulator.
    pub fn sim(&self) -> &RunningEsp {
        self.sim.as_ref().expect("running")
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.sim().addr()
    }

    /// The anchors file (HTTPS).
    pub fn anchors(&self) -> PathBuf {
        self.dir.path().join("anchors.pem")
    }

    /// Runs a future on the simulator's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

impl Drop for EspServed {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.shutdown());
        }
    }
}

/// Runs Espressif's client against `served`; returns its exit code and `RESULT` JSON.
pub fn esp_client(python: &Path, served: &EspServed, args: &[&str]) -> (i32, Value) {
    let mut cmd = Command::new(python);
    cmd.arg(script("esp_client.py")).args([
        "--host",
        "127.0.0.1",
        "--port",
        &served.addr().port().to_string(),
        "--poll-interval",
        "0.05",
        "--timeout",
        "20",
    ]);
    if served.sim().transport() == EspTransport::Https {
        // Chain checked against the simulator's anchors; the test certificate names the device,
        // not 127.0.0.1, which Espressif's Transport_HTTP connects to by address.
        let anchors = served.anchors();
        cmd.args(["--https", "--no-check-hostname", "--cafile"])
            .arg(anchors);
    }
    let out = cmd.args(args).output().expect("run esp_client.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| {
            panic!(
                "no RESULT line; stdout:\n{stdout}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(line).expect("RESULT is JSON"),
    )
}
