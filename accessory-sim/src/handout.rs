//! The files a simulated accessory hands its tester: anchors, chain, pin, and the test secrets
//! (the simulated networks' passphrases, the PoP code, the accessory's and the client's keys).
//!
//! One writer and one file-name rule for `accessory sim`, `sim softap` and the fleet, so the paths a
//! tester is told are the paths written. Where the files go and how each is created (a private
//! per-run directory removed at exit, exclusive creation, no links followed) is `run_dir`'s.

use std::fmt;
use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Error, LinkFault, RunningSim, SoftAp};

/// A directory of handout files: one the tester chose (`--out DIR`, kept), or a private run
/// directory (removed when the `Handout` is dropped).
#[derive(Debug)]
pub struct Handout {
    dir: PathBuf,
    /// The private run directory, removed on drop; `None` for a directory the tester chose.
    run: Option<tempfile::TempDir>,
}

impl Handout {
    /// The directory the tester chose (`--out DIR`): created 0700 with its parents if missing, and
    /// kept when the run ends.
    pub fn create(dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let dir = dir.into();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|io| Error::Write {
                path: dir.clone(),
                io,
            })?;
        Ok(Self { dir, run: None })
    }

    /// A fresh private directory for this run, `<base>/<name>-XXXXXX` under the per-user
    /// [`crate::run_base_dir`]; it and everything in it are removed when this is dropped.
    pub fn private_run(name: &str) -> Result<Self, Error> {
        Self::private_run_in(&crate::run_dir::base_dir(), name)
    }

    /// [`Handout::private_run`] under another per-user base directory.
    pub fn private_run_in(base: &Path, name: &str) -> Result<Self, Error> {
        let run = crate::run_dir::fresh_run(base, name)?;
        Ok(Self {
            dir: run.path().to_owned(),
            run: Some(run),
        })
    }

    /// The directory the tester chose ([`Handout::create`], kept) if any, else a private run
    /// directory named after `name` ([`Handout::private_run`], removed when dropped).
    pub fn chosen_or_private(out: Option<&Path>, name: &str) -> Result<Self, Error> {
        match out {
            Some(dir) => Self::create(dir),
            None => Self::private_run(name),
        }
    }

    /// Whether the files go away with this `Handout` (a private run directory).
    pub fn is_temporary(&self) -> bool {
        self.run.is_some()
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a file anyone may read (anchors, a chain, a pin); returns its path.
    pub fn public(&self, name: &str, contents: &str) -> Result<PathBuf, Error> {
        let path = self.dir.join(name);
        crate::run_dir::create_file(&path, contents.as_bytes(), false)?;
        Ok(path)
    }

    /// Writes a test secret (a key, a PoP code), 0600; returns its path.
    pub fn private(&self, name: &str, contents: &str) -> Result<PathBuf, Error> {
        let path = self.dir.join(name);
        crate::run_dir::create_file(&path, contents.as_bytes(), true)?;
        Ok(path)
    }

    /// Writes a simulated network's own test passphrase (not anyone's credential), 0600, as
    /// `--network-passphrase-file` reads it, under [`passphrase_file_name`]; returns its path.
    pub fn network_passphrase(&self, ssid: &str, passphrase: &str) -> Result<PathBuf, Error> {
        self.private(&passphrase_file_name(ssid), passphrase)
    }
}

impl Handout {
    /// Writes everything a tester of the simulated accessory `sim` needs: anchors, chain, pin, its
    /// key, the simulated networks' test passphrases, the client certificate it demands, the PoP
    /// code; returns the paths and the `accessory provision` command that uses them.
    pub fn write_sim(&self, sim: &RunningSim) -> Result<SimHandout, Error> {
        let handout = self;
        let anchors = handout.public("anchors.pem", &sim.anchors_pem())?;
        let chain = handout.public("chain.pem", &sim.chain_pem())?;
        handout.public("pin.txt", &format!("{}\n", sim.pin()))?;
        if let Some(key) = sim.key_pem() {
            // The simulated accessory's own key: lets a benchmark serve the same identity from
            // `openssl s_server`.
            handout.private("key.pem", key)?;
        }
        let mut networks = Vec::new();
        for n in &sim.scenario().networks {
            let passphrase_file = match &n.passphrase {
                Some(p) => Some(handout.network_passphrase(&n.ssid, p)?),
                None => None,
            };
            networks.push(NetworkFile {
                ssid: n.ssid.clone(),
                security: n.security.to_string(),
                passphrase_file,
            });
        }
        let client_certificate = match sim.client_credentials() {
            Some(c) => Some(ClientFiles {
                ca: handout.public("client-ca.pem", &c.ca_pem)?,
                cert: handout.public("client.pem", &c.cert_pem)?,
                key: handout.private("client-key.pem", &c.key_pem)?,
            }),
            None => None,
        };
        let network = networks
            .iter()
            .find(|n| n.passphrase_file.is_some())
            .or(networks.first());
        let mut provision = format!(
            "accessory provision --accessory {} --device-id {} --anchors {}",
            sim.addr(),
            sim.device_id(),
            anchors.display()
        );
        if let Some(n) = network {
            provision.push_str(&format!(" --network-ssid {}", shell_word(&n.ssid)));
            if let Some(f) = &n.passphrase_file {
                provision.push_str(&format!(" --network-passphrase-file {}", f.display()));
            }
        }
        if let Some(n) = network {
            if n.security != "wpa2-psk" && n.passphrase_file.is_some() {
                provision.push_str(&format!(" --network-security {}", n.security));
            }
        }
        if let Some(code) = &sim.scenario().pop_code {
            // The label code of a simulated accessory, in a file as `--pop-file` reads it.
            let path = handout.private("pop.txt", code)?;
            provision.push_str(&format!(" --pop-file {}", path.display()));
        }
        if let Some(c) = &client_certificate {
            provision.push_str(&format!(
                " --client-cert {} --client-key {}",
                c.cert.display(),
                c.key.display()
            ));
        }
        Ok(SimHandout {
            device_id: sim.device_id().to_owned(),
            addr: sim.addr(),
            profile: sim.profile().to_owned(),
            faults: sim
                .scenario()
                .faults
                .iter()
                .map(|f| f.to_string())
                .collect(),
            pin: sim.pin().to_string(),
            anchors,
            chain,
            pop_code: sim.scenario().pop_code.clone(),
            networks,
            client_certificate,
            provision,
        })
    }

    /// Writes what a tester of the simulated accessory `sim` behind `softap` needs: anchors, pin, the
    /// simulated home network's test passphrase; returns the paths and the `accessory provision
    /// --wifi sim` command that uses them.
    pub fn write_softap(
        &self,
        softap: &SoftAp,
        sim: &RunningSim,
        link_faults: &[LinkFault],
    ) -> Result<SoftApHandout, Error> {
        let handout = self;
        let anchors = handout.public("anchors.pem", &sim.anchors_pem())?;
        handout.public("pin.txt", &format!("{}\n", sim.pin()))?;
        // The simulated home network's own test passphrase (not anyone's credential), for
        // `--network-passphrase-file`.
        let network = sim
            .scenario()
            .networks
            .iter()
            .find(|n| n.passphrase.is_some());
        let network_passphrase_file = match network {
            Some(n) => Some(
                handout.network_passphrase(&n.ssid, n.passphrase.as_deref().unwrap_or_default())?,
            ),
            None => None,
        };
        let entry = softap.entry();
        let mut provision = format!(
            "accessory provision --wifi sim --ssid {} --device-id {} --pin {}",
            entry.ssid,
            sim.device_id(),
            sim.pin()
        );
        if entry.security.needs_passphrase() {
            provision.push_str(" --softap-passphrase-file <label passphrase file>");
        }
        if let (Some(n), Some(f)) = (network, &network_passphrase_file) {
            provision.push_str(&format!(
                " --network-ssid {} --network-passphrase-file {}",
                n.ssid,
                f.display()
            ));
        }
        Ok(SoftApHandout {
            ssid: entry.ssid.clone(),
            security: if !entry.security.needs_passphrase() {
                "open"
            } else {
                "wpa2-psk"
            },
            namespace: entry.namespace.clone(),
            station_interface: entry.station_interface.clone(),
            accessory: softap.accessory_addr().to_string(),
            device_id: sim.device_id().to_owned(),
            pin: sim.pin().to_string(),
            anchors,
            network_ssid: network.map(|n| n.ssid.clone()),
            network_passphrase_file,
            link_faults: link_faults.iter().map(|f| f.to_string()).collect(),
            faults: sim
                .scenario()
                .faults
                .iter()
                .map(|f| f.to_string())
                .collect(),
            registry_entry: entry.path_in(&crate::softap_registry_dir()),
            provision,
        })
    }
}

/// The files `accessory sim` wrote and how to provision it: what `accessory sim --json` prints.
#[derive(Debug, Serialize)]
pub struct SimHandout {
    /// The accessory's device id (`SIM-0001`).
    pub device_id: String,
    /// Where its HTTPS API listens.
    pub addr: SocketAddr,
    /// The certificate profile it serves (`good-chain`, `expired`...).
    pub profile: String,
    /// Its faults, as `name[=value]` (empty when it behaves).
    pub faults: Vec<String>,
    /// The SPKI pin of its certificate (`sha256/BASE64`).
    pub pin: String,
    /// `anchors.pem`: the manufacturer root to trust it by.
    pub anchors: PathBuf,
    /// `chain.pem`: the chain it serves, leaf first.
    pub chain: PathBuf,
    /// Its proof-of-possession code, when its scenario has one (also written to `pop.txt`).
    pub pop_code: Option<String>,
    /// The networks it sees, with their test passphrase files.
    pub networks: Vec<NetworkFile>,
    /// The client certificate it demands (`require-client-cert`); `None` when it demands none.
    pub client_certificate: Option<ClientFiles>,
    /// An `accessory provision` command that uses these files.
    pub provision: String,
}

/// One network a simulated accessory sees, and where its test passphrase was written.
#[derive(Debug, Serialize)]
pub struct NetworkFile {
    /// Its SSID.
    pub ssid: String,
    /// Its security, as `--network-security` takes it (`wpa2-psk`).
    pub security: String,
    /// The file holding its test passphrase (0600); `None` for an open network.
    pub passphrase_file: Option<PathBuf>,
}

/// The client certificate a simulated accessory demands, as files for `--client-cert`.
#[derive(Debug, Serialize)]
pub struct ClientFiles {
    /// `client-ca.pem`: the CA the accessory accepts client certificates from.
    pub ca: PathBuf,
    /// `client.pem`: a client certificate it accepts.
    pub cert: PathBuf,
    /// `client-key.pem`: that certificate's key (0600).
    pub key: PathBuf,
}

#[derive(Debug, Serialize)]
/// The files `accessory sim softap` wrote and how to provision through the SoftAP: what
/// `accessory sim softap --json` prints.
pub struct SoftApHandout {
    /// The SoftAP's SSID.
    pub ssid: String,
    /// `open` or `wpa2-psk`.
    pub security: &'static str,
    /// The network namespace the SoftAP runs in.
    pub namespace: String,
    /// The interface a station joins it with.
    pub station_interface: String,
    /// The accessory's API address on the SoftAP (`192.168.4.1:443`).
    pub accessory: String,
    /// The accessory's device id.
    pub device_id: String,
    /// The SPKI pin of its certificate (`sha256/BASE64`).
    pub pin: String,
    /// `anchors.pem`: the manufacturer root to trust it by.
    pub anchors: PathBuf,
    /// The simulated home network to send it; `None` when its scenario has none with a
    /// passphrase.
    pub network_ssid: Option<String>,
    /// The file holding that network's test passphrase (0600).
    pub network_passphrase_file: Option<PathBuf>,
    /// The link faults injected (`flap=8s@2s`), empty for none.
    pub link_faults: Vec<String>,
    /// The accessory's faults, as `name[=value]`.
    pub faults: Vec<String>,
    /// The SoftAP's entry in the registry that `--wifi sim` scans.
    pub registry_entry: PathBuf,
    /// An `accessory provision --wifi sim` command that uses these files.
    pub provision: String,
}

/// What `accessory sim` prints for people (without the closing "Serving until Ctrl-C.").
impl fmt::Display for SimHandout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self;
        let faults = if s.faults.is_empty() {
            "none".to_owned()
        } else {
            s.faults.join(", ")
        };
        writeln!(
            f,
            "Simulated accessory {} listening on {} (certificate profile {}, faults: {faults})",
            s.device_id, s.addr, s.profile
        )?;
        writeln!(f, "  pin:      {}", s.pin)?;
        writeln!(f, "  anchors:  {}", s.anchors.display())?;
        writeln!(f, "  chain:    {}", s.chain.display())?;
        if let Some(code) = &s.pop_code {
            writeln!(f, "  PoP code: {code} (printed on the label)")?;
        }
        for n in &s.networks {
            match &n.passphrase_file {
                Some(file) => writeln!(
                    f,
                    "  network:  {} ({}; test passphrase in {})",
                    n.ssid,
                    n.security,
                    file.display()
                )?,
                None => writeln!(f, "  network:  {} ({})", n.ssid, n.security)?,
            }
        }
        if let Some(c) = &s.client_certificate {
            writeln!(
                f,
                "  client certificate required: {} (key {}, CA {})",
                c.cert.display(),
                c.key.display(),
                c.ca.display()
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "Provision it (the passphrase is read from a file, never from the command line):"
        )?;
        writeln!(f, "  {}", s.provision)?;
        writeln!(
            f,
            "or trust it by its pin instead of the anchors: --pin {}",
            s.pin
        )?;
        writeln!(f, "Look at it with curl:")?;
        let client = match &s.client_certificate {
            Some(c) => format!(" --cert {} --key {}", c.cert.display(), c.key.display()),
            None => String::new(),
        };
        writeln!(
        f,
        "  curl --cacert {}{client} --resolve {}.accessory.local:{}:{} https://{}.accessory.local:{}/v1/device",
        s.anchors.display(),
        s.device_id,
        s.addr.port(),
        s.addr.ip(),
        s.device_id,
        s.addr.port()
    )?;
        Ok(())
    }
}

/// What `accessory sim softap` prints for people (without the closing "Serving until Ctrl-C.").
impl fmt::Display for SoftApHandout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self;
        writeln!(
            f,
            "SoftAP {} ({}) in namespace {}: accessory {} at {}",
            s.ssid, s.security, s.namespace, s.device_id, s.accessory
        )?;
        writeln!(f, "  pin:      {}", s.pin)?;
        writeln!(f, "  anchors:  {}", s.anchors.display())?;
        if !s.link_faults.is_empty() {
            writeln!(f, "  link faults: {}", s.link_faults.join(", "))?;
        }
        writeln!(f, "Provision it (as root):")?;
        writeln!(f, "  {}", s.provision)?;
        Ok(())
    }
}

/// `s` as one shell word (quoted when it needs to be).
fn shell_word(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The file name of a network's passphrase: the SSID with every character but ASCII letters,
/// digits, `-` and `_` replaced by `_`, then `.passphrase` (`My Home` -> `My_Home.passphrase`).
pub fn passphrase_file_name(ssid: &str) -> String {
    let name: String = ssid
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}.passphrase")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_passphrase_file_is_named_after_its_ssid_with_unsafe_characters_replaced() {
        assert_eq!(passphrase_file_name("Home"), "Home.passphrase");
        assert_eq!(passphrase_file_name("My Home/5G"), "My_Home_5G.passphrase");
        assert_eq!(passphrase_file_name("a-b_c"), "a-b_c.passphrase");
        assert_eq!(passphrase_file_name("../x"), "___x.passphrase");
    }

    #[test]
    fn private_files_are_0600_even_when_they_existed_wider_and_public_ones_are_written_as_given() {
        let dir = tempfile::tempdir().unwrap();
        let h = Handout::create(dir.path().join("new/dir")).unwrap();
        let stale = h.public("key.pem", "old").unwrap();
        std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o644)).unwrap();
        let key = h.private("key.pem", "new").unwrap();
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "new");
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let pass = h.network_passphrase("My Home", "test pass").unwrap();
        assert_eq!(pass, h.dir().join("My_Home.passphrase"));
        assert_eq!(
            std::fs::metadata(&pass).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_symbolic_link_planted_in_the_directory_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "untouched").unwrap();
        let h = Handout::create(dir.path().join("out")).unwrap();
        std::os::unix::fs::symlink(&target, h.dir().join("pop.txt")).unwrap();
        let err = h.private("pop.txt", "secret").unwrap_err();
        assert_eq!(err.code(), "sim.write");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
    }

    #[tokio::test]
    async fn a_sim_handout_writes_the_files_its_provision_command_names() {
        let mut scenario = crate::Scenario::good("SIM-0042");
        scenario.pop_code = Some("LABEL-CODE".into());
        let sim = crate::Simulator::start(scenario, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let h = Handout::create(dir.path()).unwrap();
        let out = h.write_sim(&sim).unwrap();
        assert_eq!(
            std::fs::read_to_string(&out.anchors).unwrap(),
            sim.anchors_pem()
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("pin.txt")).unwrap(),
            format!("{}\n", sim.pin())
        );
        let pop = dir.path().join("pop.txt");
        assert_eq!(std::fs::read_to_string(&pop).unwrap(), "LABEL-CODE");
        assert_eq!(
            std::fs::metadata(&pop).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(out
            .provision
            .contains(&format!("--anchors {}", out.anchors.display())));
        assert!(out
            .provision
            .contains(&format!("--pop-file {}", pop.display())));
        for n in &out.networks {
            if let Some(f) = &n.passphrase_file {
                assert!(f.exists(), "{}", f.display());
            }
        }
        sim.shutdown().await;
    }
}
