//! Many simulated accessories in one process: a production run, for fleet provisioning tests and
//! QA scripts.
//!
//! Every member has its own device id, key and port; all share one manufacturer CA, as the units
//! of one production run do, so one anchors file verifies the whole fleet. The manifest lists each
//! member's id, address and pin for scripts (`jq`), and names the anchors file.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::fault::FaultKind;
use crate::identity::ServedCert;
use crate::scenario::Scenario;
use crate::server::{RunningSim, Simulator};

/// How to lay out a fleet.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FleetOptions {
    /// The address every member listens on.
    pub ip: IpAddr,
    /// The first member's port; member `i` listens on `base_port + i`. 0: any free ports.
    pub base_port: u16,
    /// Device ids are `<prefix>-0001`, `<prefix>-0002`...
    pub id_prefix: String,
    /// What every member is (its `id` is replaced).
    pub template: Scenario,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: 0,
            id_prefix: "SIM".to_owned(),
            template: Scenario::good("SIM-0000"),
        }
    }
}

impl FleetOptions {
    /// Sets the first port (builder style).
    pub fn base_port(mut self, port: u16) -> Self {
        self.base_port = port;
        self
    }

    /// Sets the scenario every member serves (builder style).
    pub fn template(mut self, scenario: Scenario) -> Self {
        self.template = scenario;
        self
    }

    /// Sets the device id prefix (builder style).
    pub fn id_prefix(mut self, prefix: &str) -> Self {
        self.id_prefix = prefix.to_owned();
        self
    }
}

/// A running fleet.
#[derive(Debug)]
pub struct Fleet {
    members: Vec<RunningSim>,
    anchors_pem: String,
}

/// One line of the manifest.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ManifestEntry {
    /// The device id.
    pub id: String,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its pin, `sha256/BASE64`.
    pub pin: String,
    /// The anchors file that verifies it.
    pub anchors: PathBuf,
}

/// The manifest: the fleet's shared anchors and every member.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Manifest {
    /// The anchors file (the shared manufacturer root).
    pub anchors: PathBuf,
    /// The certificate profile every member serves.
    pub profile: String,
    /// The members, in id order.
    pub accessories: Vec<ManifestEntry>,
    /// Where [`Fleet::write`] wrote the manifest (not part of it).
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

/// What `accessory sim fleet` prints: how many, which ids, the anchors and manifest files.
impl std::fmt::Display for Manifest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = |a: Option<&ManifestEntry>| a.map_or("-", |a| a.id.as_str()).to_owned();
        writeln!(
            f,
            "{} simulated accessories ({} .. {}), one manufacturer CA",
            self.accessories.len(),
            id(self.accessories.first()),
            id(self.accessories.last()),
        )?;
        writeln!(f, "  anchors:  {}", self.anchors.display())?;
        if let Some(file) = &self.file {
            writeln!(f, "  manifest: {}", file.display())?;
        }
        Ok(())
    }
}

impl Fleet {
    /// Starts `count` accessories under one fresh manufacturer CA.
    pub async fn start(count: usize, options: FleetOptions) -> Result<Fleet, Error> {
        options.template.validate()?;
        if options.base_port != 0 && usize::from(options.base_port) + count > 65_536 {
            return Err(Error::InvalidScenario(format!(
                "{count} accessories from port {} run past port 65535",
                options.base_port
            )));
        }
        let profile = options.template.effective_profile().to_owned();
        let ca = certs::ManufacturerCa::generate(certs::DEFAULT_ORGANIZATION).map_err(|e| {
            Error::Certificate {
                profile: profile.clone(),
                message: e.to_string(),
            }
        })?;
        let mut members = Vec::with_capacity(count);
        let mut anchors: Vec<String> = Vec::new();
        for i in 0..count {
            let mut scenario = options.template.clone();
            scenario.id = format!("{}-{:04}", options.id_prefix, i + 1);
            let identity = ServedCert::generate(
                &profile,
                &scenario.id,
                scenario.has(FaultKind::WrongKey),
                Some(&ca),
            )?;
            for pem in split_pem(&identity.anchors_pem()) {
                if !anchors.contains(&pem) {
                    anchors.push(pem);
                }
            }
            let port = match options.base_port {
                0 => 0,
                p => p + i as u16,
            };
            let listen = SocketAddr::new(options.ip, port);
            members.push(Simulator::start_with_identity(scenario, listen, identity).await?);
        }
        Ok(Fleet {
            members,
            anchors_pem: anchors.concat(),
        })
    }

    /// The members, in id order.
    pub fn members(&self) -> &[RunningSim] {
        &self.members
    }

    /// The anchors that verify every member (the shared root; each self-signed leaf for the
    /// self-signed profiles), as PEM.
    pub fn anchors_pem(&self) -> &str {
        &self.anchors_pem
    }

    /// The manifest, naming `anchors_file` as the anchors.
    pub fn manifest(&self, anchors_file: &Path) -> Manifest {
        Manifest {
            anchors: anchors_file.to_owned(),
            profile: self
                .members
                .first()
                .map(|m| m.profile().to_owned())
                .unwrap_or_default(),
            accessories: self
                .members
                .iter()
                .map(|m| ManifestEntry {
                    id: m.device_id().to_owned(),
                    addr: m.addr(),
                    pin: m.pin().to_string(),
                    anchors: anchors_file.to_owned(),
                })
                .collect(),
            file: None,
        }
    }

    /// Writes the anchors (`anchors.pem`) and the manifest (`manifest`) and returns the manifest.
    pub fn write(&self, anchors_file: &Path, manifest_file: &Path) -> Result<Manifest, Error> {
        write_file(anchors_file, self.anchors_pem.as_bytes())?;
        let mut manifest = self.manifest(anchors_file);
        manifest.file = Some(manifest_file.to_owned());
        let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        write_file(manifest_file, format!("{text}\n").as_bytes())?;
        Ok(manifest)
    }

    /// Stops every member.
    pub async fn shutdown(self) {
        for m in self.members {
            m.shutdown().await;
        }
    }
}

fn split_pem(pem: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in pem.lines() {
        current.push_str(line);
        current.push('\n');
        if line.starts_with("-----END") {
            out.push(std::mem::take(&mut current));
        }
    }
    out
}

pub(crate) fn write_file(path: &Path, contents: &[u8]) -> Result<(), Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
            .create(dir)
            .map_err(|io| Error::Write {
                path: dir.to_owned(),
                io,
            })?;
    }
    crate::run_dir::create_file(path, contents, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fleet_has_distinct_ids_keys_and_ports_under_one_root() {
        let fleet = Fleet::start(3, FleetOptions::default()).await.unwrap();
        let m = fleet.manifest(Path::new("anchors.pem"));
        assert_eq!(m.accessories.len(), 3);
        let mut pins: Vec<_> = m.accessories.iter().map(|a| a.pin.clone()).collect();
        pins.dedup();
        assert_eq!(pins.len(), 3);
        assert_ne!(m.accessories[0].addr, m.accessories[1].addr);
        assert_eq!(m.accessories[2].id, "SIM-0003");
        assert_eq!(split_pem(fleet.anchors_pem()).len(), 1);
        fleet.shutdown().await;
    }

    #[tokio::test]
    async fn the_written_manifest_names_its_file_in_the_summary_but_not_in_its_json() {
        let fleet = Fleet::start(2, FleetOptions::default()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (anchors, file) = (dir.path().join("a.pem"), dir.path().join("m.json"));
        let m = fleet.write(&anchors, &file).unwrap();
        assert_eq!(
            m.to_string(),
            format!(
                "2 simulated accessories (SIM-0001 .. SIM-0002), one manufacturer CA\n  anchors:  {}\n  manifest: {}\n",
                anchors.display(),
                file.display()
            )
        );
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let mut keys: Vec<_> = written.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["accessories", "anchors", "profile"]);
        fleet.shutdown().await;
    }
}
