//! `accessory sim`: a simulated accessory (or a fleet of them) that reproduces field failures.
//!
//! The work is in `accessory_sim`; this module builds a scenario from flags, starts it, writes the
//! files a tester needs (anchors, chain, pin, the simulated networks' passphrases), prints exactly
//! how to provision it, and serves until Ctrl-C. Subcommands (`fleet`, and `softap` in a network
//! namespace) share the scenario flags.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use accessory_sim::{Fault, Fleet, FleetOptions, Handout, Simulator};

use super::scenario::ScenarioArgs;
use crate::exit::{ExitStatus, Failure};
use crate::output::say;

#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:
  accessory sim                                        # a good accessory on 127.0.0.1:8443
  accessory sim --detach                               # the same, returning once it is ready
  accessory sim --fault expired                        # serve an expired certificate
  accessory sim --fault clienthello-limit=1024         # chokes on a post-quantum ClientHello
  accessory sim --fault single-read                    # one recv(): resets a hello split in 2 segments
  accessory sim --fault alert=bad_certificate          # iOS: errSSLPeerBadCert (-9825)
  accessory sim --fault wrong-passphrase --fault slow-status=2
  accessory sim --scenario qa/plug.toml --listen 0.0.0.0:8443 --json   # qa/*.toml, docs/scenarios.md
  accessory sim fleet --count 50 --base-port 9000 --manifest fleet.json

Faults (repeat --fault; `accessory sim --list-faults` prints them):
  certificate: expired, not-yet-valid, wrong-name, cn-only, ip-not-in-san, untrusted-root,
    self-signed-unknown, ca-as-leaf, client-auth-eku, long-validity, rsa-1024, sha1,
    incomplete-chain, unknown-critical-extension, key-rotated, wrong-key
  TLS: tls12-only, clienthello-limit=N[,reset|,ALERT], single-read[=16384],
    alert=NAME[@accept|@hello|@handshake], require-client-cert[=stock], stall, drip[=5ms]
  application: wrong-passphrase, network-not-found, reboot-after-apply[=5], http-500,
    malformed-json, slow-status[=3]"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<SimCommand>,

    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum SimCommand {
    /// Run many accessories in one process (distinct ids, keys, ports; one manufacturer CA).
    #[command(after_help = "Examples:
  accessory sim fleet --count 20
  accessory sim fleet --count 1000 --base-port 20000 --manifest /tmp/fleet.json
  accessory sim fleet --count 5 --fault wrong-passphrase --json | jq -r '.accessories[].addr'

The manifest is JSON: {anchors, profile, accessories: [{id, addr, pin, anchors}]}.")]
    Fleet(FleetArgs),
    /// One accessory behind a SoftAP in a network namespace, with DHCP (root): what `provision --wifi sim` joins.
    Softap(super::softap::SoftapArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    #[command(flatten)]
    pub esp: super::esp::EspSimArgs,
    /// Address to listen on.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8443",
        env = "ACCESSORY_SIM_LISTEN"
    )]
    pub listen: SocketAddr,
    /// Directory for the anchors, chain, key, pin and test passphrase files, kept at exit
    /// [default: a private directory of this run, $XDG_RUNTIME_DIR/accessory-sim/<device-id>-XXXXXX
    /// or $TMPDIR/accessory-sim-<uid>/<device-id>-XXXXXX, removed at exit].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the startup information as one line of JSON on stdout, then serve.
    #[arg(long)]
    pub json: bool,
    /// Serve the certificate and key `accessory certs mint` wrote into DIR (chain.pem, key.pem)
    /// instead of a profile's: a unit off the line, whose label names that key. Certificate
    /// faults do not apply.
    #[arg(long, value_name = "DIR", conflicts_with = "profile")]
    pub minted: Option<PathBuf>,
    /// Print the fault catalogue and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Start in the background: return once it listens and its files are written, after printing
    /// what it prints and its process id (stop it with `kill PID`). What a script or a pasted
    /// README block needs instead of `&`, whose next line would race the startup.
    #[arg(long)]
    pub detach: bool,
    /// How many connections to hold at once; when full, the oldest connection that has not sent a
    /// request yet is closed first [default: the descriptor limit less 64, at most 4096].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
    /// Answer the HTTPS API an API profile describes instead of `/v1` (docs/api-profiles.md;
    /// profiles/ has examples). Same TLS and faults.
    #[arg(long, value_name = "FILE", conflicts_with = "protocol")]
    pub api_profile: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// How many accessories.
    #[arg(long, value_name = "N")]
    pub count: usize,
    /// Port of the first accessory; the others follow (0: any free ports).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub base_port: u16,
    /// Address every accessory listens on.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub ip: IpAddr,
    /// Device ids are PREFIX-0001, PREFIX-0002...
    #[arg(long, value_name = "PREFIX", default_value = "SIM")]
    pub id_prefix: String,
    /// Where to write the manifest [default: <out>/manifest.json].
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Directory for the shared anchors file and the manifest, kept at exit [default: a private
    /// directory of this run (as `accessory sim`), removed at exit].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the manifest as one line of JSON on stdout, then serve.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    // Many connections is the simulator's job: use every descriptor the hard limit allows.
    accessory_sim::raise_descriptor_limit();
    match args.command {
        None => serve(args.serve).await,
        Some(SimCommand::Fleet(fleet_args)) => fleet(fleet_args).await,
        Some(SimCommand::Softap(softap_args)) => {
            let scenario = softap_args
                .scenario
                .build()
                .map_err(|e| Failure::of(e).into());
            super::softap::run(softap_args, scenario).await
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitStatus> {
    if args.detach && !args.list_faults {
        return detach(args.json);
    }
    if args.list_faults {
        let faults = Fault::described();
        if args.json {
            let list: Vec<_> = faults
                .iter()
                .map(|(syntax, group, description)| {
                    serde_json::json!({"fault": syntax, "group": group, "description": description})
                })
                .collect();
            crate::output::json_line(&serde_json::json!({ "faults": list }))?;
        } else {
            let width = faults.iter().map(|f| f.0.len()).max().unwrap_or(0);
            for (syntax, group, description) in faults {
                say!("{syntax:width$}  {group:11}  {description}");
            }
        }
        return Ok(ExitStatus::Success);
    }
    let shutdown = crate::signal::shutdown();
    let mut scenario = args.scenario.build().map_err(Failure::of)?;
    if let Some(n) = args.max_connections {
        scenario.max_connections = Some(n as usize);
    }
    if let Some(path) = &args.api_profile {
        let served = accessory_sim::ServedProfile::load(path).map_err(Failure::of)?;
        scenario.api_profile = Some(std::sync::Arc::new(served));
    }
    let files =
        Handout::chosen_or_private(args.out.as_deref(), &scenario.id).map_err(Failure::of)?;
    if args.esp.protocol == super::esp::WireProtocol::Esp {
        drop(shutdown);
        return super::esp::serve(&args.esp, scenario, args.listen, files, args.json).await;
    }
    super::scenario::refuse_certificate_faults(args.minted.is_some(), &scenario)?;
    let sim = match &args.minted {
        Some(dir) => Simulator::start_minted(scenario, args.listen, dir).await,
        None => Simulator::start(scenario, args.listen).await,
    }
    .map_err(Failure::of)?;
    let mut startup = files.write_sim(&sim).map_err(Failure::of)?;
    if let Some(path) = &args.api_profile {
        startup
            .provision
            .push_str(&super::scenario::api_profile_flag(path));
    }
    if args.json {
        crate::output::json_line(&startup)?;
    } else {
        crate::output::bytes(startup.to_string().as_bytes());
        say!("Serving until Ctrl-C.");
    }
    shutdown.await;
    sim.shutdown().await;
    drop(files);
    Ok(ExitStatus::Success)
}

/// Runs this same command again without `--detach` in a process group of its own, echoes its
/// startup lines (it listens and has written its files before it prints them), and returns while
/// it serves; with `--json` the startup line gains `"pid"`. A simulator that fails to start exits
/// with its own status and message.
///
/// Both of the child's output streams are pipes read here, never the caller's own: a caller
/// capturing this command's output (`$(...)`, `2>&1 | ...`, a test harness) sees end of file when
/// this process returns, not when the simulator ends. The child's stderr is relayed until it is
/// ready; what it logs afterwards is dropped (run it without `--detach` to see it).
fn detach(json: bool) -> anyhow::Result<ExitStatus> {
    use std::io::{BufRead, Write};
    use std::os::unix::process::CommandExt;
    let args: Vec<_> = std::env::args_os()
        .skip(1)
        .filter(|a| a != "--detach")
        .collect();
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()?;
    let pid = child.id();
    let errors = child.stderr.take().expect("piped");
    let relay = std::thread::spawn(move || {
        for line in std::io::BufReader::new(errors).lines() {
            let Ok(line) = line else { break };
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    });
    let mut out = std::io::BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line)? == 0 {
            // It exited before it was ready; its message comes through the relay.
            let code = child.wait()?.code().unwrap_or(1);
            let _ = relay.join();
            std::process::exit(code);
        }
        if line.starts_with("Serving until Ctrl-C.") {
            say!("Serving in the background as process {pid}; stop it with `kill {pid}`.");
            break;
        }
        if json {
            let mut startup: serde_json::Value = serde_json::from_str(&line)?;
            if let Some(fields) = startup.as_object_mut() {
                fields.insert("pid".into(), pid.into());
            }
            crate::output::json_line(&startup)?;
            break;
        }
        crate::output::bytes(line.as_bytes());
    }
    Ok(ExitStatus::Success)
}

async fn fleet(args: FleetArgs) -> anyhow::Result<ExitStatus> {
    let shutdown = crate::signal::shutdown();
    let template = args.scenario.build().map_err(Failure::of)?;
    let files = Handout::chosen_or_private(args.out.as_deref(), "fleet").map_err(Failure::of)?;
    let dir = files.dir().to_owned();
    let manifest_file = args
        .manifest
        .clone()
        .unwrap_or_else(|| dir.join("manifest.json"));
    let mut options = FleetOptions::default()
        .base_port(args.base_port)
        .template(template)
        .id_prefix(&args.id_prefix);
    options.ip = args.ip;
    let fleet = Fleet::start(args.count, options)
        .await
        .map_err(Failure::of)?;
    let manifest = fleet
        .write(&dir.join("anchors.pem"), &manifest_file)
        .map_err(Failure::of)?;
    if args.json {
        crate::output::json_line(&manifest)?;
    } else {
        crate::output::bytes(manifest.to_string().as_bytes());
        say!("Serving until Ctrl-C.");
    }
    shutdown.await;
    fleet.shutdown().await;
    drop(files);
    Ok(ExitStatus::Success)
}
