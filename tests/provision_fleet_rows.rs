//! `accessory provision fleet` rows of other kinds, as the real binary: rows naming the unit's
//! label (units minted by `accessory certs mint`, served by `accessory sim --minted`), and rows
//! speaking an API profile (the shipped profiles, served by simulated accessories loading the same
//! files `sim --api-profile` loads). What each accessory received is read on its side: its own log
//! or request record.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;

use accessory_sim::{Fleet, FleetOptions, Scenario, ServedProfile};
use accessory_tests::provision::{accessory_bin, PASSPHRASE};
use provision::{AttemptOutcome, Ledger};
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(accessory_bin())
        .args(args)
        .env_remove("ACCESSORY_NETWORK_PASSPHRASE")
        .env_remove("ACCESSORY_LEDGER")
        .stdin(Stdio::null())
        .output()
        .expect("running accessory")
}

#[track_caller]
fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A factory line: a manufacturer CA, and units minted into `dir/<name>` (label.txt, label.png,
/// pop.txt, chain.pem, key.pem).
struct Line {
    dir: tempfile::TempDir,
}

impl Line {
    fn new() -> Line {
        let line = Line {
            dir: tempfile::tempdir().unwrap(),
        };
        ok(&run(&["certs", "ca", "init", "--out", &line.path("ca")]));
        line
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Mints `id` (a fresh key each time) into `name`.
    fn mint(&self, name: &str, id: &str) {
        let (ca, out) = (self.path("ca"), self.path(name));
        ok(&run(&[
            "certs",
            "mint",
            "--ca",
            &ca,
            "--device-id",
            id,
            "--out",
            &out,
        ]));
    }

    fn pass(&self) -> PathBuf {
        let path = self.dir.path().join("home.pass");
        std::fs::write(&path, format!("{PASSPHRASE}\n")).unwrap();
        path
    }
}

/// `accessory sim -v --minted DIR` with the unit's PoP code (from the environment), killed when
/// dropped; its log has one `request` line per HTTP request.
struct MintedSim {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl MintedSim {
    fn start(line: &Line, unit: &str, id: &str) -> MintedSim {
        let pop = std::fs::read_to_string(line.path(&format!("{unit}/pop.txt"))).unwrap();
        let log = PathBuf::from(line.path(&format!("{unit}.sim.log")));
        let mut child = Command::new(accessory_bin())
            .args(["sim", "-v", "--minted", &line.path(unit), "--device-id", id])
            .args(["--listen", "127.0.0.1:0", "--json", "--out"])
            .arg(line.path(&format!("{unit}.sim")))
            .env("ACCESSORY_SIM_POP_CODE", pop.trim())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("running accessory sim");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let v: Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("{e}: {first:?}"));
        assert_eq!(v["profile"], "minted", "{v}");
        MintedSim {
            child,
            addr: v["addr"].as_str().unwrap().to_owned(),
            log,
        }
    }

    /// The requests the accessory logged so far.
    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .filter(|l| l.contains(" request"))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for MintedSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `provision fleet --inventory INV ... --json`, with `extra` flags.
fn fleet(inventory: &Path, ledger: &Path, pass: &Path, extra: &[&str]) -> Output {
    Command::new(accessory_bin())
        .args(["provision", "fleet", "--inventory"])
        .arg(inventory)
        .args(["--parallel", "2", "--network-ssid", "Home"])
        .arg("--network-passphrase-file")
        .arg(pass)
        .arg("--ledger")
        .arg(ledger)
        .args(["--json", "--deadline", "20"])
        .args(extra)
        .env_remove("ACCESSORY_LEDGER")
        .stdin(Stdio::null())
        .output()
        .expect("accessory runs")
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the report is JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn result<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["device_id"] == id)
        .unwrap_or_else(|| panic!("{id} in {report}"))
}

#[test]
fn an_inventory_of_minted_labels_is_provisioned_and_a_label_of_another_key_is_refused_before_anything_is_sent(
) {
    let line = Line::new();
    for n in 1..=3 {
        line.mint(&format!("UNIT-000{n}"), &format!("UNIT-000{n}"));
    }
    // The same device id and CA, another key: a label swapped between two units.
    line.mint("other-0003", "UNIT-0003");
    let sims: Vec<MintedSim> = (1..=3)
        .map(|n| MintedSim::start(&line, &format!("UNIT-000{n}"), &format!("UNIT-000{n}")))
        .collect();
    // Rows name nothing but the label and the address: the id, key, pin and PoP code are the
    // label's. label.png is read through its QR code, label.txt as text.
    let inv = line.dir.path().join("line.csv");
    std::fs::write(
        &inv,
        format!(
            "label,address\nUNIT-0001/label.png,{}\nUNIT-0002/label.txt,{}\nother-0003/label.png,{}\n",
            sims[0].addr, sims[1].addr, sims[2].addr
        ),
    )
    .unwrap();
    let ledger = line.dir.path().join("ledger.sqlite3");
    let out = fleet(&inv, &ledger, &line.pass(), &[]);
    let r = report(&out);
    assert_eq!(r["counts"]["connected"], 2, "{r}");
    assert_eq!(result(&r, "UNIT-0001")["outcome"], "connected", "{r}");
    assert_eq!(result(&r, "UNIT-0002")["outcome"], "connected", "{r}");
    let refused = result(&r, "UNIT-0003");
    assert_eq!(refused["outcome"], "failed", "{r}");
    assert_eq!(refused["credentials_sent"], false, "{r}");
    assert_eq!(refused["step"], "handshake", "{r}");
    assert_eq!(refused["code"], "cert.pin_mismatch", "{r}");
    // Untrusted: exit status 4.
    assert_eq!(out.status.code(), Some(4), "{r}");
    // The accessories that were provisioned got the network (and required the label's PoP code,
    // given to them from pop.txt); the one whose label names another key got no request at all.
    for sim in &sims[..2] {
        let requests = sim.requests();
        assert!(
            requests
                .iter()
                .any(|l| l.contains("carried_credential=true")),
            "{requests:?}"
        );
    }
    assert_eq!(sims[2].requests(), Vec::<String>::new());
    let attempts = Ledger::open(&ledger).unwrap().attempts(None).unwrap();
    assert_eq!(
        attempts
            .iter()
            .filter(|a| a.outcome == AttemptOutcome::Connected)
            .count(),
        2,
        "{attempts:?}"
    );

    // Its own label: provisioned, so the log above would have shown a request had one come.
    std::fs::write(
        &inv,
        format!("label,address\nUNIT-0003/label.png,{}\n", sims[2].addr),
    )
    .unwrap();
    let out = fleet(&inv, &ledger, &line.pass(), &[]);
    let r = report(&out);
    assert_eq!(out.status.code(), Some(0), "{r}");
    assert_eq!(result(&r, "UNIT-0003")["outcome"], "connected", "{r}");
    assert!(sims[2]
        .requests()
        .iter()
        .any(|l| l.contains("carried_credential=true")));
}

#[test]
fn a_row_that_contradicts_its_label_is_refused_naming_the_field_before_any_accessory_is_contacted()
{
    let line = Line::new();
    line.mint("UNIT-0001", "UNIT-0001");
    line.mint("UNIT-0002", "UNIT-0002");
    let sim = MintedSim::start(&line, "UNIT-0001", "UNIT-0001");
    let other_key = std::fs::read_to_string(line.path("UNIT-0002/label.txt")).unwrap();
    let other_key = other_key
        .split(';')
        .find_map(|f| f.strip_prefix("key="))
        .unwrap()
        .to_owned();
    let inv = line.dir.path().join("line.toml");
    let ledger = line.dir.path().join("ledger.sqlite3");
    for (field, value) in [
        ("device_id", "UNIT-0002".to_owned()),
        ("pin", other_key.clone()),
        ("fingerprint", other_key),
        ("pop_file", "UNIT-0002/pop.txt".to_owned()),
    ] {
        // A good row first: nothing of it is contacted either.
        std::fs::write(
            &inv,
            format!(
                "[[accessories]]\nlabel = \"UNIT-0002/label.txt\"\naddress = \"127.0.0.1:9\"\n\n\
                 [[accessories]]\nlabel = \"UNIT-0001/label.png\"\naddress = \"{}\"\n{field} = \"{value}\"\n",
                sim.addr
            ),
        )
        .unwrap();
        let out = fleet(&inv, &ledger, &line.pass(), &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{field}: {err}");
        assert!(err.contains("[input.inventory]"), "{err}");
        assert!(err.contains("line.toml: row 2 ("), "{field}: {err}");
        assert!(err.contains(&format!("): {field} ")), "{field}: {err}");
        assert_eq!(sim.requests(), Vec::<String>::new(), "{field}");
    }
    // Nothing was attempted: the ledger holds no attempt (if it was created at all).
    if ledger.exists() {
        assert!(Ledger::open(&ledger)
            .unwrap()
            .attempts(None)
            .unwrap()
            .is_empty());
    }
}

/// A shipped profile copied into `dir`, with the bearer token file it may need beside it (the
/// simulated accessory checks the header against the same file).
fn profile_in(dir: &Path, name: &str) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../profiles")
        .join(name);
    let path = dir.join(name);
    std::fs::copy(&shipped, &path).expect("copying a shipped profile");
    std::fs::write(dir.join("bearer-token.secret"), "factory-token-0042\n").unwrap();
    path
}

/// `n` simulated accessories `PREFIX-000N` speaking `profile` (none: `/v1`), their manifest in
/// `dir/PREFIX/manifest.json`.
async fn served(dir: &Path, prefix: &str, n: usize, profile: Option<&Path>) -> (Fleet, Value) {
    let mut scenario = Scenario::good("x").with_connect_delay_ms(20);
    scenario.api_profile = profile.map(|p| Arc::new(ServedProfile::load(p).unwrap()));
    let fleet = Fleet::start(
        n,
        FleetOptions::default().id_prefix(prefix).template(scenario),
    )
    .await
    .expect("the fleet starts");
    let d = dir.join(prefix);
    fleet
        .write(&d.join("anchors.pem"), &d.join("manifest.json"))
        .unwrap();
    let manifest =
        serde_json::from_str(&std::fs::read_to_string(d.join("manifest.json")).unwrap()).unwrap();
    (fleet, manifest)
}

/// How many requests `method path` carrying the passphrase the accessory received, and how many
/// requests it received in all.
fn sets(sim: &accessory_sim::RunningSim, method: &str, path: &str) -> (usize, usize) {
    let requests = sim.requests();
    let set = requests
        .iter()
        .filter(|r| r.method == method && r.path == path && r.carried_credential)
        .count();
    (set, requests.len())
}

async fn fleet_async(
    inventory: PathBuf,
    ledger: PathBuf,
    pass: PathBuf,
    extra: Vec<String>,
) -> Output {
    tokio::task::spawn_blocking(move || {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        fleet(&inventory, &ledger, &pass, &extra)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_speaks_the_api_profile_of_the_run_against_accessories_serving_the_shipped_profile(
) {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_in(dir.path(), "shelly-gen2-like.toml");
    let (sims, _) = served(dir.path(), "SHLY", 4, Some(&profile)).await;
    let pass = dir.path().join("home.pass");
    std::fs::write(&pass, format!("{PASSPHRASE}\n")).unwrap();
    let inv = dir.path().join("SHLY/manifest.json");
    let out = fleet_async(
        inv,
        dir.path().join("ledger.sqlite3"),
        pass,
        vec!["--api-profile".into(), profile.display().to_string()],
    )
    .await;
    let r = report(&out);
    assert_eq!(out.status.code(), Some(0), "{r}");
    assert_eq!(r["counts"]["connected"], 4, "{r}");
    for sim in sims.members() {
        let (set, _) = sets(sim, "POST", "/rpc/WiFi.SetConfig");
        assert_eq!(set, 1, "{}", sim.device_id());
        assert!(
            sim.requests().iter().all(|q| q.path.starts_with("/rpc/")),
            "{:?}",
            sim.requests()
        );
    }
    sims.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_naming_their_own_api_profile_speak_it_and_the_others_speak_v1() {
    let dir = tempfile::tempdir().unwrap();
    let bearer = profile_in(dir.path(), "bearer-token.toml");
    let (tokens, tokens_manifest) = served(dir.path(), "TOKN", 3, Some(&bearer)).await;
    let (plain, plain_manifest) = served(dir.path(), "PLAN", 3, None).await;
    // One inventory: the bearer-token rows name their profile (relative to the inventory), the
    // others name none.
    let mut rows = Vec::new();
    for mut row in tokens_manifest["accessories"].as_array().unwrap().clone() {
        row["api_profile"] = Value::from("bearer-token.toml");
        rows.push(row);
    }
    rows.extend(
        plain_manifest["accessories"]
            .as_array()
            .unwrap()
            .iter()
            .cloned(),
    );
    let inv = dir.path().join("mixed.json");
    std::fs::write(&inv, serde_json::to_string_pretty(&rows).unwrap()).unwrap();
    let pass = dir.path().join("home.pass");
    std::fs::write(&pass, format!("{PASSPHRASE}\n")).unwrap();
    let out = fleet_async(
        inv.clone(),
        dir.path().join("ledger.sqlite3"),
        pass.clone(),
        vec![],
    )
    .await;
    let r = report(&out);
    assert_eq!(out.status.code(), Some(0), "{r}");
    assert_eq!(r["counts"]["connected"], 6, "{r}");
    for sim in tokens.members() {
        let path = format!("/api/v2/devices/{}/wifi", sim.device_id());
        assert_eq!(sets(sim, "PUT", &path).0, 1, "{:?}", sim.requests());
    }
    for sim in plain.members() {
        assert_eq!(sets(sim, "PUT", "/v1/network").0, 1, "{:?}", sim.requests());
    }

    // A row whose profile is malformed: refused with the profile's code before anything is
    // contacted (the rows before it included).
    std::fs::write(
        dir.path().join("broken.toml"),
        std::fs::read_to_string(&bearer)
            .unwrap()
            .replace("{ssid}", "{sid}"),
    )
    .unwrap();
    let mut broken = rows.clone();
    broken[4]["api_profile"] = Value::from("broken.toml");
    std::fs::write(&inv, serde_json::to_string_pretty(&broken).unwrap()).unwrap();
    let before: Vec<usize> = tokens
        .members()
        .iter()
        .chain(plain.members())
        .map(|s| s.requests().len())
        .collect();
    let out = fleet_async(
        inv,
        dir.path().join("ledger2.sqlite3"),
        pass,
        vec!["--force".into()],
    )
    .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("row 5 (PLAN-0002)"), "{err}");
    assert!(err.contains("[profile."), "{err}");
    let after: Vec<usize> = tokens
        .members()
        .iter()
        .chain(plain.members())
        .map(|s| s.requests().len())
        .collect();
    assert_eq!(before, after, "nothing contacted");
    tokens.shutdown().await;
    plain.shutdown().await;
}

/// An ESP-IDF device (the simulator `accessory sim --protocol esp` runs) for `id`.
fn esp_device(
    id: &str,
    auth: accessory_sim::EspAuth,
    transport: accessory_sim::EspTransport,
) -> accessory_tests::esp::EspServed {
    accessory_tests::esp::EspServed::start(
        Scenario::good(id).with_connect_delay_ms(50),
        auth,
        transport,
    )
}

#[test]
fn esp_rows_are_provisioned_with_their_pop_or_srp_password_and_a_wrong_pop_sends_nothing() {
    use accessory_sim::{EspAuth, EspTransport};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("esp1.pop"), "abcd1234\n").unwrap();
    std::fs::write(d.join("wrong.pop"), "dcba4321\n").unwrap();
    std::fs::write(d.join("srp.pass"), "a long test password\n").unwrap();
    let sec1 = esp_device("ESP-0001", EspAuth::sec1("abcd1234"), EspTransport::Http);
    let sec2 = esp_device(
        "ESP-0002",
        EspAuth::sec2("wifiprov", "a long test password"),
        EspTransport::Http,
    );
    let https = esp_device(
        "ESP-0003",
        EspAuth::sec2("wifiprov", "a long test password"),
        EspTransport::Https,
    );
    let refused = esp_device("ESP-0004", EspAuth::sec1("abcd1234"), EspTransport::Http);
    let pin = https.sim().pin().unwrap().to_string();
    let inv = d.join("esp.csv");
    std::fs::write(
        &inv,
        format!(
            "device_id,address,protocol,esp_transport,pin,pop_file,esp_password_file\n\
             ESP-0001,{},esp,,,esp1.pop,\n\
             ESP-0002,{},esp,http,,,srp.pass\n\
             ESP-0003,{},esp,https,{pin},,srp.pass\n\
             ESP-0004,{},esp,,,wrong.pop,\n",
            sec1.addr(),
            sec2.addr(),
            https.addr(),
            refused.addr()
        ),
    )
    .unwrap();
    let pass = d.join("home.pass");
    std::fs::write(&pass, format!("{PASSPHRASE}\n")).unwrap();
    let ledger = d.join("ledger.sqlite3");
    let out = fleet(&inv, &ledger, &pass, &[]);
    let r = report(&out);
    assert_eq!(r["counts"]["connected"], 3, "{r}");
    for (id, sim) in [
        ("ESP-0001", &sec1),
        ("ESP-0002", &sec2),
        ("ESP-0003", &https),
    ] {
        assert_eq!(result(&r, id)["outcome"], "connected", "{r}");
        assert_eq!(sim.sim().credentials_received(), 1, "{id}");
    }
    let failed = result(&r, "ESP-0004");
    assert_eq!(failed["code"], "accessory.pop_rejected", "{r}");
    assert_eq!(failed["credentials_sent"], false, "{r}");
    assert_eq!(refused.sim().credentials_received(), 0);
    assert_ne!(out.status.code(), Some(0), "{r}");
    let attempts = Ledger::open(&ledger).unwrap().attempts(None).unwrap();
    assert_eq!(attempts.len(), 4, "{attempts:?}");

    // An esp row without a proof, or over https without a pin or anchors: refused before any
    // contact.
    for (row, words) in [
        ("ESP-0009,127.0.0.1:9,esp,,,,", "needs its proof"),
        (
            "ESP-0009,127.0.0.1:9,esp,https,,esp1.pop,",
            "needs a pin or anchors",
        ),
    ] {
        std::fs::write(
            &inv,
            format!(
                "device_id,address,protocol,esp_transport,pin,pop_file,esp_password_file\n{row}\n"
            ),
        )
        .unwrap();
        let out = fleet(&inv, &ledger, &pass, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(
            err.contains(words) && err.contains("[input.inventory]"),
            "{err}"
        );
    }
}
