//! `--protocol esp`: the flags that make `accessory sim` an ESP-IDF device, and serving it.
//!
//! The device is `accessory_sim::EspSimulator`; this module turns flags into its options, writes the
//! files a tester needs (anchors for HTTPS, the networks' passphrases, the PoP or the SRP password)
//! and prints how to provision it.

use std::path::PathBuf;

use accessory_sim::{EspAuth, EspOptions, EspSimulator, EspTransport, Handout, RunningEsp};

use crate::exit::{ExitStatus, Failure};
use crate::output::say;

/// Which provisioning protocol the accessory speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum WireProtocol {
    /// The accessory API of DESIGN.md (JSON over HTTPS).
    #[default]
    Accessory,
    /// ESP-IDF SoftAP provisioning (protocomm: proto-ver, prov-session, prov-scan, prov-config).
    Esp,
}

/// ESP-IDF security scheme (there is no security 0: it has no peer authentication at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EspSecurity {
    /// X25519 + AES-CTR, authenticated by the proof of possession.
    #[value(name = "1")]
    Sec1,
    /// SRP6a + AES-GCM, authenticated by username and password.
    #[value(name = "2")]
    Sec2,
}

/// How the ESP-IDF endpoints are carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EspTransportArg {
    /// Plain HTTP, as ESP-IDF's protocomm_httpd.
    Http,
    /// HTTPS with the scenario's certificate profile.
    Https,
}

impl From<EspTransportArg> for EspTransport {
    fn from(t: EspTransportArg) -> Self {
        match t {
            EspTransportArg::Http => EspTransport::Http,
            EspTransportArg::Https => EspTransport::Https,
        }
    }
}

/// `accessory sim --protocol esp ...`.
#[derive(Debug, clap::Args)]
pub struct EspSimArgs {
    /// The provisioning protocol the simulated accessory speaks.
    #[arg(long, value_enum, default_value_t = WireProtocol::Accessory)]
    pub protocol: WireProtocol,
    /// ESP-IDF security scheme (with --protocol esp); security 1 uses --pop-code as its PoP.
    #[arg(long, value_enum, default_value = "2")]
    pub esp_security: EspSecurity,
    /// ESP-IDF transport (with --protocol esp).
    #[arg(long, value_enum, default_value = "http")]
    pub esp_transport: EspTransportArg,
    /// Security 2's SRP username.
    #[arg(long, value_name = "USER", default_value = "wifiprov")]
    pub esp_username: String,
    /// A file holding security 2's SRP password (one line) [default: the test password `abcd1234`,
    /// written to the handout directory].
    #[arg(long, value_name = "FILE")]
    pub esp_password_file: Option<PathBuf>,
    /// After apply, stay "connecting" forever (what a device that never gets an IP reports).
    #[arg(long)]
    pub esp_stuck_connecting: bool,
}

/// The SRP password of a simulated device without --esp-password-file: ESP-IDF's own example
/// default (`wifi_prov_mgr`), a test value written to the handout directory like the networks'.
const DEFAULT_TEST_PASSWORD: &str = "abcd1234";

/// What the tester gets: where it listens and the files that provision it.
#[derive(Debug, serde::Serialize)]
pub struct EspHandout {
    device_id: String,
    addr: std::net::SocketAddr,
    protocol: &'static str,
    transport: &'static str,
    security: u8,
    anchors: Option<PathBuf>,
    pin: Option<String>,
    pop_file: Option<PathBuf>,
    username: Option<String>,
    password_file: Option<PathBuf>,
    networks: Vec<accessory_sim::NetworkFile>,
    provision: String,
}

impl EspHandout {
    /// The device id it serves.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// The command that provisions it.
    pub fn provision(&self) -> &str {
        &self.provision
    }
}

/// Serves `scenario` as an ESP-IDF device until Ctrl-C.
pub async fn serve(
    esp: &EspSimArgs,
    scenario: accessory_sim::Scenario,
    listen: std::net::SocketAddr,
    handout: Handout,
    json: bool,
) -> anyhow::Result<ExitStatus> {
    let shutdown = crate::signal::shutdown();
    let (options, proofs) = options(esp, &scenario, &handout)?;
    let sim = EspSimulator::start(scenario, listen, options)
        .await
        .map_err(Failure::of)?;
    let startup = write(&handout, &sim, esp, proofs, None)?;
    if json {
        crate::output::json_line(&startup)?;
    } else {
        say!(
            "ESP-IDF accessory {} on {} ({}, security {})",
            startup.device_id,
            startup.addr,
            startup.transport,
            startup.security
        );
        say!("Provision it with:\n  {}", startup.provision);
        say!("Serving until Ctrl-C.");
    }
    shutdown.await;
    sim.shutdown().await;
    Ok(ExitStatus::Success)
}

/// The files a security scheme's proof was written to: security 1's PoP, security 2's password.
#[derive(Debug, Default)]
pub struct ProofFiles {
    pop_file: Option<PathBuf>,
    password_file: Option<PathBuf>,
}

/// The simulator's options from the flags, and the proof files written to `handout`.
pub fn options(
    esp: &EspSimArgs,
    scenario: &accessory_sim::Scenario,
    handout: &Handout,
) -> anyhow::Result<(EspOptions, ProofFiles)> {
    let (auth, proofs) = match esp.esp_security {
        EspSecurity::Sec1 => {
            let pop = scenario.pop_code.clone().unwrap_or_default();
            let file = handout.private("pop.txt", &pop).map_err(Failure::of)?;
            let proofs = ProofFiles {
                pop_file: Some(file),
                password_file: None,
            };
            (EspAuth::sec1(&pop), proofs)
        }
        EspSecurity::Sec2 => {
            let file = match &esp.esp_password_file {
                Some(f) => f.clone(),
                None => handout
                    .private("esp-password.txt", DEFAULT_TEST_PASSWORD)
                    .map_err(Failure::of)?,
            };
            let password =
                provision::Secret::from_file(&file, "SRP password").map_err(Failure::of)?;
            let auth = EspAuth::sec2(&esp.esp_username, password.expose());
            let proofs = ProofFiles {
                pop_file: None,
                password_file: Some(file),
            };
            (auth, proofs)
        }
    };
    let options = EspOptions {
        auth,
        transport: esp.esp_transport.into(),
        stuck_connecting: esp.esp_stuck_connecting,
    };
    Ok((options, proofs))
}

/// The port an ESP-IDF device serves on: 80 for protocomm over HTTP (ESP-IDF's
/// `protocomm_httpd` default), 443 over HTTPS.
pub fn port(transport: EspTransportArg) -> u16 {
    match transport {
        EspTransportArg::Http => 80,
        EspTransportArg::Https => 443,
    }
}

/// Writes the files a tester needs and the command that provisions `sim`: over loopback, or
/// through the SoftAP named `softap` (`--wifi sim --ssid`).
pub fn write(
    handout: &Handout,
    sim: &RunningEsp,
    esp: &EspSimArgs,
    proofs: ProofFiles,
    softap: Option<&str>,
) -> anyhow::Result<EspHandout> {
    let ProofFiles {
        pop_file,
        password_file,
    } = proofs;
    let anchors = match sim.anchors_pem() {
        Some(pem) => Some(handout.public("anchors.pem", &pem).map_err(Failure::of)?),
        None => None,
    };
    let mut networks = Vec::new();
    for n in &sim.scenario().networks {
        let passphrase_file = match &n.passphrase {
            Some(p) => Some(
                handout
                    .network_passphrase(&n.ssid, p)
                    .map_err(Failure::of)?,
            ),
            None => None,
        };
        networks.push(accessory_sim::NetworkFile {
            ssid: n.ssid.clone(),
            security: n.security.to_string(),
            passphrase_file,
        });
    }
    let mut provision = format!(
        "accessory provision --protocol esp --esp-transport {}",
        sim.transport().name()
    );
    match softap {
        Some(ssid) => provision.push_str(&format!(" --wifi sim --ssid {ssid}")),
        None => provision.push_str(&format!(" --accessory {}", sim.addr())),
    }
    if let Some(a) = &anchors {
        provision.push_str(&format!(
            " --device-id {} --anchors {}",
            sim.scenario().id,
            a.display()
        ));
    }
    if let Some(f) = &pop_file {
        provision.push_str(&format!(" --pop-file {}", f.display()));
    }
    if let Some(f) = &password_file {
        provision.push_str(&format!(
            " --esp-username {} --esp-password-file {}",
            esp.esp_username,
            f.display()
        ));
    }
    if let Some(n) = networks.iter().find(|n| n.passphrase_file.is_some()) {
        provision.push_str(&format!(" --network-ssid {}", n.ssid));
        if let Some(f) = &n.passphrase_file {
            provision.push_str(&format!(" --network-passphrase-file {}", f.display()));
        }
    }
    Ok(EspHandout {
        device_id: sim.scenario().id.clone(),
        addr: sim.addr(),
        protocol: "esp",
        transport: sim.transport().name(),
        security: sim.security(),
        anchors,
        pin: sim.pin().map(|p| p.to_string()),
        pop_file,
        username: password_file.as_ref().map(|_| esp.esp_username.clone()),
        password_file,
        networks,
        provision,
    })
}

/// Which provisioning protocol `provision` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ProvisionProtocol {
    /// The accessory API of DESIGN.md (JSON over HTTPS).
    #[default]
    Accessory,
    /// ESP-IDF SoftAP provisioning (protocomm).
    Esp,
    /// Ask the accessory: ESP-IDF's `proto-ver` over plain HTTP, then over a TLS session the
    /// trust policy accepted; anything else is the accessory API (one or two extra connections).
    Auto,
}

/// `accessory provision --protocol esp ...`.
#[derive(Debug, clap::Args)]
pub struct EspProvisionArgs {
    /// The provisioning protocol the accessory speaks. `esp`: ESP-IDF SoftAP provisioning, the
    /// peer proven by its PoP (security 1, --pop-file) or SRP (security 2); security 0 is refused.
    /// `auto`: detected with ESP-IDF's proto-ver (transport and security included).
    #[arg(long, value_enum, default_value_t = ProvisionProtocol::Accessory)]
    pub protocol: ProvisionProtocol,
    /// ESP-IDF transport (with --protocol esp).
    #[arg(long, value_enum, default_value = "http")]
    pub esp_transport: EspTransportArg,
    /// Security 2's SRP username.
    #[arg(long, value_name = "USER", default_value = "wifiprov")]
    pub esp_username: String,
    /// A file holding security 2's SRP password (one line).
    #[arg(long, value_name = "FILE")]
    pub esp_password_file: Option<PathBuf>,
}

impl EspProvisionArgs {
    /// Whether `--protocol esp` was given.
    pub fn is_esp(&self) -> bool {
        self.protocol == ProvisionProtocol::Esp
    }

    /// Whether `--protocol auto` was given.
    pub fn is_auto(&self) -> bool {
        self.protocol == ProvisionProtocol::Auto
    }

    /// Security 2's credentials when `--esp-password-file` names them (for `--protocol auto`).
    pub fn srp(&self) -> anyhow::Result<Option<provision::esp::EspProof>> {
        let Some(file) = &self.esp_password_file else {
            return Ok(None);
        };
        Ok(Some(provision::esp::EspProof::Srp {
            username: self.esp_username.clone(),
            password: provision::Secret::from_file(file, "SRP password").map_err(Failure::of)?,
        }))
    }

    /// The transport and proof: the SRP password when a file names one, else the PoP.
    pub fn proof(
        &self,
        pop: Option<provision::Secret>,
    ) -> anyhow::Result<(provision::esp::EspTransport, provision::esp::EspProof)> {
        let transport = match self.esp_transport {
            EspTransportArg::Http => provision::esp::EspTransport::Http,
            EspTransportArg::Https => provision::esp::EspTransport::Https,
        };
        let proof = match (&self.esp_password_file, pop) {
            (Some(file), _) => provision::esp::EspProof::Srp {
                username: self.esp_username.clone(),
                password: provision::Secret::from_file(file, "SRP password").map_err(Failure::of)?,
            },
            (None, Some(pop)) => provision::esp::EspProof::Pop(pop),
            (None, None) => {
                return crate::exit::fail(
                    provision::diagnosis::codes::INVALID_REQUEST,
                    anyhow::anyhow!(
                        "--protocol esp needs the accessory's proof: --pop-file (security 1) or --esp-password-file (security 2)"
                    ),
                )
            }
        };
        Ok((transport, proof))
    }
}
