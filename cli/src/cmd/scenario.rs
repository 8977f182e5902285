//! The flags that say what one simulated accessory is, shared by `accessory sim`, `sim fleet` and
//! `sim softap`.

use std::path::PathBuf;

use accessory_sim::{Fault, Scenario};

/// What one simulated accessory is: shared by `accessory sim` and its subcommands.
#[derive(Debug, Clone, clap::Args)]
pub struct ScenarioArgs {
    /// A scenario file (TOML: id, model, profile, networks, timings, faults); flags override it.
    #[arg(long, value_name = "FILE", env = "ACCESSORY_SIM_SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// Add a fault, `NAME[=VALUE]` (repeatable; see the list below).
    #[arg(long = "fault", value_name = "NAME[=VALUE]", hide_possible_values = true,
          value_parser = crate::suggest::suggest(|s: &str| s.parse::<Fault>(), crate::suggest::fault_names))]
    pub faults: Vec<Fault>,
    /// The device id (a fleet numbers its own: see --id-prefix) [default: SIM-0001, or the scenario's].
    #[arg(long, value_name = "ID")]
    pub device_id: Option<String>,
    /// The certificate profile to serve (`accessory certs profiles` lists them) [default: good-chain].
    #[arg(long, value_name = "PROFILE", hide_possible_values = true,
          value_parser = crate::suggest::suggest(clap::builder::StringValueParser::new(), crate::suggest::cert_profile_names))]
    pub profile: Option<String>,
    /// Behave like a real TLS stack (its faults, and its client-certificate refusal with
    /// `--fault require-client-cert`): mbedtls-2.28[=IN_CONTENT_LEN], mbedtls-3.6[=IN_CONTENT_LEN],
    /// wolfssl[=MAX_RECORD], single-read[=BUFFER]; sources in docs/alerts.md.
    #[arg(long, value_name = "NAME[=SIZE]", value_parser = parse_personality)]
    pub personality: Option<accessory_sim::Personality>,
    /// Require proof of possession with this label code (`Authorization: PoP ...`) [default: none].
    #[arg(long, value_name = "CODE", env = "ACCESSORY_SIM_POP_CODE")]
    pub pop_code: Option<String>,
}

impl ScenarioArgs {
    /// The scenario: the file or a good accessory, then the flags on top.
    pub fn build(&self) -> Result<Scenario, accessory_sim::Error> {
        let args = self;
        let mut scenario = match &args.scenario {
            Some(path) => Scenario::from_file(path)?,
            None => Scenario::good("SIM-0001"),
        };
        if let Some(id) = &args.device_id {
            scenario.id = id.clone();
        }
        if let Some(profile) = &args.profile {
            scenario.profile = profile.clone();
        }
        if let Some(code) = &args.pop_code {
            scenario.pop_code = Some(code.clone());
        }
        scenario.faults.extend(args.faults.iter().cloned());
        if let Some(p) = args.personality {
            scenario.faults.extend(p.faults());
            if let Some(refusal) = p.client_cert_refusal() {
                for f in &mut scenario.faults {
                    if let Fault::RequireClientCert { refusal: r } = f {
                        *r = refusal;
                    }
                }
            }
        }
        scenario.validate()?;
        Ok(scenario)
    }
}

/// `--minted DIR` serves the minted certificate as it is: a certificate fault cannot apply to it,
/// and is refused rather than ignored.
pub fn refuse_certificate_faults(minted: bool, scenario: &Scenario) -> anyhow::Result<()> {
    let certificate_fault = scenario
        .faults
        .iter()
        .any(|f| matches!(f, Fault::Certificate(_) | Fault::WrongKey));
    if minted && certificate_fault {
        return crate::exit::fail(
            crate::exit::codes::USAGE_CONFLICT,
            anyhow::anyhow!(
                "--minted serves the minted certificate as it is: a certificate fault cannot apply to it"
            ),
        );
    }
    Ok(())
}

fn parse_personality(s: &str) -> Result<accessory_sim::Personality, String> {
    s.parse()
}

/// ` --api-profile PATH` for a printed `provision` command: the same API, an absolute path (it may
/// be run elsewhere), quoted for a shell when it needs to be.
pub(super) fn api_profile_flag(path: &std::path::Path) -> String {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let path = path.display().to_string();
    let word = if path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c))
    {
        path
    } else {
        format!("'{}'", path.replace('\'', "'\\''"))
    };
    format!(" --api-profile {word}")
}
