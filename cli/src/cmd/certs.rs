//! `accessory certs`: the manufacturer CA, per-device certificates, and the certificate catalogue
//! (every good and faulty profile, with the verdict a verifying client must reach).
//!
//! All the work is in the `certs` library; this module parses flags, maps `certs::Error` to an exit
//! status and prints. Private keys are written to files (0600) and never printed.

use std::path::PathBuf;

use crate::exit::{codes, fail, failed, ExitStatus};
use crate::output::{self, say};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write every certificate profile (good and faulty) and a manifest.json of expected verdicts.
    #[command(after_help = "Examples:
  accessory certs catalogue --out catalogue/
  accessory certs catalogue --out catalogue/ --device-id PLUG-0042 --force
  jq -r '.profiles[] | [.name, .expect.anchors.verdict, .expect.anchors.code // \"\"] | @tsv' \\
      catalogue/manifest.json

Each profile gets a directory: chain.pem (as served, leaf first), leaf.pem, intermediates.pem,
key.pem (0600), anchors.pem (what the administrator trusts), pin.txt (the pin they recorded).")]
    Catalogue(CatalogueArgs),

    /// List the certificate profiles and the verdict expected under each trust mode.
    #[command(after_help = "Examples:
  accessory certs profiles
  accessory certs profiles --json | jq -r '.[].name'")]
    Profiles(ProfilesArgs),

    /// Write one profile's certificates and key into a directory (as `catalogue` does for all).
    #[command(after_help = "Examples:
  accessory certs generate expired --out expired/
  accessory certs generate rsa-1024 --out weak/ --device-id PLUG-0042 --json")]
    Generate(GenerateArgs),

    /// The manufacturer CA: a root to distribute as the trust anchor, an intermediate that signs devices.
    #[command(subcommand)]
    Ca(CaCommand),

    /// Mint one device's certificate and key, signed by the manufacturer CA.
    #[command(after_help = "Examples:
  accessory certs mint --ca factory-ca/ --device-id PLUG-0042
  accessory certs mint --ca factory-ca/ --device-id PLUG-0043 --out units/PLUG-0043 --json
  ACCESSORY_CA_DIR=factory-ca accessory certs mint --device-id PLUG-0044 --days 730

Writes chain.pem (leaf + intermediate, what the device serves), leaf.pem and key.pem (0600), and
the unit's label (docs/labels.md): label.txt (the payload: device id, SoftAP SSID, key pin, a fresh
proof-of-possession code, CRC-32), label.svg and label.png (its QR code) and pop.txt, all 0600 as
they carry the PoP code. `accessory provision --label label.png` reads it back.
Existing files are kept unless --force.")]
    Mint(MintArgs),
}

#[derive(Debug, clap::Subcommand)]
pub enum CaCommand {
    /// Make a manufacturer root and issuing intermediate (ECDSA P-256) in a directory.
    #[command(after_help = "Examples:
  accessory certs ca init --out factory-ca/
  accessory certs ca init --out factory-ca/ --organization \"Acme Plugs\" --json

Writes root.pem (distribute it: it is the anchor), root-key.pem (0600: move it offline; it is only
needed to make another issuing CA), intermediate.pem and intermediate-key.pem (0600: what a
manufacturing line needs to mint). Existing files are kept unless --force.")]
    Init(CaInitArgs),
}

#[derive(Debug, clap::Args)]
pub struct CatalogueArgs {
    /// Directory to write the catalogue into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Device id every leaf names (letters, digits, hyphens).
    #[arg(long, value_name = "ID", default_value = "ACC-0001")]
    pub device_id: String,
    /// Replace an existing catalogue in DIR [default: false].
    #[arg(long)]
    pub force: bool,
    /// Print the manifest as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ProfilesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The profile (see `accessory certs profiles`).
    #[arg(value_name = "PROFILE")]
    pub profile: String,
    /// Directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Device id the leaf names.
    #[arg(long, value_name = "ID", default_value = "ACC-0001")]
    pub device_id: String,
    /// Replace existing files in DIR [default: false].
    #[arg(long)]
    pub force: bool,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct CaInitArgs {
    /// The CA directory to create (`--out`, as every command that writes a directory says;
    /// `--ca` is kept as a hidden alias).
    #[arg(long = "out", alias = "ca", value_name = "DIR", env = "ACCESSORY_CA_DIR",
          value_hint = clap::ValueHint::DirPath)]
    pub ca: PathBuf,
    /// Organization named in the CA certificates.
    #[arg(long, value_name = "NAME", default_value = certs::DEFAULT_ORGANIZATION)]
    pub organization: String,
    /// Replace existing CA files (and keys) in DIR [default: false].
    #[arg(long)]
    pub force: bool,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct MintArgs {
    /// The CA directory made by `accessory certs ca init`.
    #[arg(long, value_name = "DIR", env = "ACCESSORY_CA_DIR")]
    pub ca: PathBuf,
    /// The unit's device id: subject serialNumber; CN and DNS SAN <ID>.accessory.local.
    #[arg(long, value_name = "ID")]
    pub device_id: String,
    /// Directory for chain.pem, leaf.pem and key.pem [default: ./<ID>]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Days of validity, 1 to 825 (Apple refuses longer).
    #[arg(long, value_name = "N", default_value_t = certs::mint::DEFAULT_DAYS)]
    pub days: u32,
    /// The SSID of the unit's SoftAP, printed on its label [default: Accessory-<last 4 characters
    /// of the device id>, as `accessory sim softap` names it].
    #[arg(long, value_name = "SSID")]
    pub ssid: Option<String>,
    /// Replace existing files (and the key) in the output directory [default: false].
    #[arg(long)]
    pub force: bool,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(c: Command) -> anyhow::Result<ExitStatus> {
    match c {
        Command::Catalogue(args) => catalogue(args),
        Command::Profiles(args) => profiles(args),
        Command::Generate(args) => generate(args),
        Command::Ca(CaCommand::Init(args)) => ca_init(args),
        Command::Mint(args) => mint(args),
    }
}

fn catalogue(args: CatalogueArgs) -> anyhow::Result<ExitStatus> {
    let options = certs::Options::new(args.device_id);
    let manifest = certs::catalogue::write(&args.out, &options, args.force).or_else(failed)?;
    if args.json {
        output::json(&manifest)?;
        return Ok(ExitStatus::Success);
    }
    say!(
        "wrote {} profiles and {} into {}",
        manifest.profiles.len() + manifest.serving_faults.len(),
        certs::catalogue::MANIFEST,
        args.out.display()
    );
    say!();
    print_table(
        manifest
            .profiles
            .iter()
            .chain(&manifest.serving_faults)
            .map(|e| (e.name.as_str(), &e.expect)),
    );
    Ok(ExitStatus::Success)
}

fn profiles(args: ProfilesArgs) -> anyhow::Result<ExitStatus> {
    if args.json {
        let all: Vec<_> = certs::profiles()
            .iter()
            .chain(std::iter::once(&certs::WRONG_KEY))
            .collect();
        output::json(&all)?;
        return Ok(ExitStatus::Success);
    }
    print_table(
        certs::profiles()
            .iter()
            .chain(std::iter::once(&certs::WRONG_KEY))
            .map(|p| (p.name, &p.expect)),
    );
    say!();
    for p in certs::profiles() {
        say!("{:<28} {}", p.name, p.summary);
    }
    say!("{:<28} {}", certs::WRONG_KEY.name, certs::WRONG_KEY.summary);
    Ok(ExitStatus::Success)
}

fn print_table<'a>(rows: impl Iterator<Item = (&'a str, &'a certs::Expectations)>) {
    say!("{:<28} {:<28} {:<36} BOTH", "PROFILE", "PIN", "ANCHORS");
    for (name, e) in rows {
        say!("{:<28} {:<28} {:<36} {}", name, e.pin, e.anchors, e.both);
    }
}

fn generate(args: GenerateArgs) -> anyhow::Result<ExitStatus> {
    let material =
        certs::generate(&args.profile, &certs::Options::new(args.device_id)).or_else(failed)?;
    let key = args.out.join(certs::file::KEY);
    if key.exists() && !args.force {
        return failed(certs::Error::WouldOverwrite { path: key });
    }
    let files = material.write_to(&args.out).or_else(failed)?;
    let generated = material.written(&args.out, files);
    if args.json {
        output::json(&generated)?;
    } else {
        output::bytes(generated.to_string().as_bytes());
    }
    Ok(ExitStatus::Success)
}

fn ca_init(args: CaInitArgs) -> anyhow::Result<ExitStatus> {
    let ca = certs::ManufacturerCa::generate(&args.organization).or_else(failed)?;
    let summary = ca.write_to(&args.ca, args.force).or_else(failed)?;
    if args.json {
        output::json(&summary)?;
    } else {
        output::bytes(summary.to_string().as_bytes());
    }
    Ok(ExitStatus::Success)
}

fn mint(args: MintArgs) -> anyhow::Result<ExitStatus> {
    if !args.ca.join(certs::INTERMEDIATE_CERT).exists() {
        return fail(codes::CERTS_NO_CA,
            anyhow::anyhow!(
                "{}: no manufacturer CA here (no {}); make one with `accessory certs ca init --out {}`",
                args.ca.display(),
                certs::INTERMEDIATE_CERT,
                args.ca.display()
            ),
        );
    }
    let ca = certs::ManufacturerCa::load(&args.ca).or_else(failed)?;
    let mut options = certs::mint::MintOptions::new(&args.device_id).days(args.days);
    if let Some(ssid) = &args.ssid {
        options = options.ssid(ssid);
    }
    let minted = certs::mint::mint(&ca, &options).or_else(failed)?;
    let out = args.out.unwrap_or_else(|| PathBuf::from(&args.device_id));
    let summary = minted.write_to(&out, args.force).or_else(failed)?;
    if args.json {
        output::json(&summary)?;
    } else {
        output::bytes(summary.to_string().as_bytes());
    }
    Ok(ExitStatus::Success)
}
