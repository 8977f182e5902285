//! The probe itself: capture the chain without trusting it, then one pinned handshake per profile.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::CertificateDer;
use trust::diagnosis::codes;
use trust::{AccessoryVerifier, ChainCapture, Diagnosis, Identity, Inspection, Pin, TrustPolicy};

use crate::delivery::{try_hello, Segmentation};
use crate::handshake::{Failure, Handshake};
use crate::report::{AppleError, Chain, PlatformError, ProfileResult, RecordChecks, Report};
use crate::template::Template;
use crate::{large_record, limit_offer};
use crate::{lint, profiles, verdict, AppTrust, ClientProfile, Error, Route, Target};

/// How a probe runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The longest one handshake may take, connect included [default: 10 s].
    pub timeout: Duration,
    /// How large hellos are written when split, as Wi-Fi delivers them [default: MSS 1,460, 2 ms].
    pub segmentation: Segmentation,
    /// Also send each platform profile's faithful ClientHello (a real phone's, refreshed), whole
    /// and split [default: true].
    pub faithful: bool,
    /// The interface every connection must leave by (`--interface wlan0`); `None`: the system's
    /// routing decides. The accessory must be on one of its subnets.
    pub interface: Option<String>,
    /// What the app trusts and the identity it expects; empty: trust is not checked, and every
    /// verdict says so.
    pub trust: AppTrust,
    /// After the handshakes, check record sizes: one 16,384-byte application record (an HTTP
    /// `GET /` without credentials) and the `max_fragment_length`/`record_size_limit` offers
    /// [default: true].
    pub records: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            segmentation: Segmentation::default(),
            faithful: true,
            interface: None,
            trust: AppTrust::default(),
            records: true,
        }
    }
}

/// Probes `target` with `profiles` (in that order) and the default [`Options`].
pub async fn run(target: &Target, profiles: &[&'static ClientProfile]) -> Result<Report, Error> {
    run_with(target, profiles, &Options::default()).await
}

/// What a probe is doing now, for [`run_observed`]'s observer: a slow accessory makes a probe
/// take a minute, and long work is never silent. The library never prints.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProbeStep {
    /// Capturing the chain with this profile's hello, trusting nothing.
    Capturing {
        /// The client profile (`ios26`).
        profile: &'static str,
    },
    /// The profile's handshake, pinned to the captured key.
    Handshake {
        /// The client profile.
        profile: &'static str,
    },
    /// The platform's real ClientHello, whole and split.
    RealHello {
        /// The client profile.
        profile: &'static str,
    },
    /// After the handshake: a 16 KB application record carried by this profile's pinned
    /// handshake, and smaller records offered in raw hellos.
    Records {
        /// The client profile whose handshake carries the record.
        profile: &'static str,
    },
}

impl std::fmt::Display for ProbeStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeStep::Capturing { profile } => write!(f, "{profile}: capturing the chain"),
            ProbeStep::Handshake { profile } => write!(f, "{profile}: pinned handshake"),
            ProbeStep::RealHello { profile } => {
                write!(f, "{profile}: the real ClientHello, whole and split")
            }
            ProbeStep::Records { profile } => write!(
                f,
                "{profile}: record sizes (a 16 KB application record; max_fragment_length, \
                 record_size_limit offered)"
            ),
        }
    }
}

/// Probes `target` with `profiles` (in that order).
///
/// Fails only when no report can be made: no profile, an unresolvable host, or an accessory that
/// refuses every TCP connection. Every TLS failure is a finding in the report.
pub async fn run_with(
    target: &Target,
    chosen: &[&'static ClientProfile],
    options: &Options,
) -> Result<Report, Error> {
    run_observed(target, chosen, options, &|_| {}).await
}

/// [`run_with`], telling `observe` each step per profile ([`ProbeStep`]).
pub async fn run_observed(
    target: &Target,
    chosen: &[&'static ClientProfile],
    options: &Options,
    observe: &(dyn Fn(ProbeStep) + Sync),
) -> Result<Report, Error> {
    let mut unique: Vec<&'static ClientProfile> = Vec::with_capacity(chosen.len());
    for p in chosen {
        if !unique.iter().any(|u| u.name == p.name) {
            unique.push(p);
        }
    }
    let chosen = unique;
    if chosen.is_empty() {
        return Err(Error::NoProfiles);
    }
    let addr = target.resolve().await?;
    let route = Route::via(addr, options.interface.clone())?;

    // 1. Capture the chain, trusting nothing: the chosen profiles first, then the others, because
    //    an accessory that cuts a large ClientHello still shows its chain to a small one. A capture
    //    attempt that fails before the certificate arrives is that profile's result: a pinned
    //    attempt would fail the same way before any verifier is asked.
    let mut early: HashMap<&'static str, Handshake> = HashMap::new();
    let mut captured: Option<(Vec<CertificateDer<'static>>, &'static ClientProfile)> = None;
    let others = profiles()
        .iter()
        .filter(|p| !chosen.iter().any(|c| c.name == p.name));
    for profile in chosen.iter().copied().chain(others) {
        observe(ProbeStep::Capturing {
            profile: profile.name,
        });
        let capture = ChainCapture::new();
        let hs = handshake(profile, capture.clone(), target, &route, options).await?;
        if let Some(failure @ Failure::Connect(_)) = &hs.failure {
            let e = platform_error(failure);
            return Err(Error::Connect {
                target: target.to_string(),
                reason: e.summary,
                code: e.code,
            });
        }
        if let Some(chain) = capture.captured() {
            captured = Some((chain, profile));
            break;
        }
        early.insert(profile.name, hs);
    }
    // Nothing answered in TLS (a plain HTTP server on the port): not a finding per platform but
    // the wrong port, reported with the code `provision` gives it (`tls.not_tls`).
    if captured.is_none() {
        let not_tls = |hs: &Handshake| {
            hs.failure
                .as_ref()
                .map(platform_error)
                .filter(|e| e.code == trust::diagnosis::codes::NOT_TLS)
        };
        if let Some(e) = early
            .values()
            .map(not_tls)
            .collect::<Option<Vec<_>>>()
            .and_then(|v| v.into_iter().next())
        {
            return Err(Error::Connect {
                target: target.to_string(),
                reason: e.summary,
                code: e.code,
            });
        }
    }

    // 2. One handshake per profile, pinned to the captured key: the accessory must prove it holds
    //    that key (the handshake signature), and nothing but handshake messages and close_notify
    //    is ever sent.
    let pinned = match &captured {
        Some((chain, _)) => Some(pinned_verifier(chain)?),
        None => None,
    };
    let mut results = Vec::with_capacity(chosen.len());
    for &profile in &chosen {
        let hs = match (early.remove(profile.name), &pinned) {
            (Some(hs), _) => hs,
            (None, Some(verifier)) => {
                observe(ProbeStep::Handshake {
                    profile: profile.name,
                });
                handshake(profile, verifier.clone(), target, &route, options).await?
            }
            // Not reached: without a capture every profile was tried above.
            (None, None) => {
                handshake(profile, ChainCapture::new(), target, &route, options).await?
            }
        };
        let mut r = result(profile, hs);
        // A profile whose own handshake got no answer at all is not asked again with a larger
        // hello: it would wait out the timeout twice more and say nothing new.
        let timed_out = r.error.as_ref().is_some_and(|e| e.code == codes::TIMEOUT);
        if options.faithful && !timed_out {
            observe(ProbeStep::RealHello {
                profile: profile.name,
            });
            r.faithful = faithful(profile, target, &route, options).await?;
        }
        results.push(r);
    }
    let snapshot = results.clone();
    for r in &mut results {
        r.cause = verdict::cause(r, &snapshot);
    }

    // 3. The chain against the platforms' rules, and a verdict per platform.
    let (chain, findings, lint_error) = match &captured {
        None => (None, Vec::new(), None),
        Some((certs, with)) => {
            let (findings, subject, lint_error) = match lint::served_chain(certs) {
                Ok(l) => (l.findings, l.subject, None),
                Err(e) => (Vec::new(), None, Some(e)),
            };
            let chain = Chain {
                certificates: certs.len(),
                subject,
                pin: Pin::of_certificate(&certs[0])
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                captured_with: with.name,
            };
            (Some(chain), findings, lint_error)
        }
    };
    // 4. After the handshake: record sizes, only for an accessory that showed its chain.
    let records = match (&pinned, options.records) {
        (Some(verifier), true) => {
            let carrier = chosen
                .iter()
                .copied()
                .find(|p| results.iter().any(|r| r.profile == p.name && r.completed));
            observe(ProbeStep::Records {
                profile: carrier.unwrap_or(chosen[0]).name,
            });
            let application = match carrier {
                Some(p) => Some(
                    large_record::check(p, verifier.clone(), target, &route, options.timeout)
                        .await?,
                ),
                None => None,
            };
            let limits =
                limit_offer::check(&route, sni(target).as_deref(), options.timeout).await?;
            Some(RecordChecks {
                application,
                limits,
            })
        }
        _ => None,
    };
    let mut verdicts = verdict::decide(&results, &findings);
    options.trust.judge(
        captured.as_ref().map(|(certs, _)| certs.as_slice()),
        rustls::pki_types::UnixTime::now(),
        &mut verdicts,
    );
    Ok(Report {
        target: target.to_string(),
        chain,
        profiles: results,
        findings,
        lint_error,
        verdicts,
        records,
    })
}

/// The server name a phone would send to `target`: none for an IP address.
fn sni(target: &Target) -> Option<String> {
    match target.server_name() {
        rustls::pki_types::ServerName::DnsName(d) => Some(d.as_ref().to_owned()),
        _ => None,
    }
}

async fn handshake(
    profile: &'static ClientProfile,
    verifier: Arc<dyn ServerCertVerifier>,
    target: &Target,
    route: &Route,
    options: &Options,
) -> Result<Handshake, Error> {
    let config = profile.client_config(verifier)?;
    Ok(Handshake::run(
        Arc::new(config),
        target.server_name(),
        route,
        options.timeout,
    )
    .await)
}

/// The profile's faithful ClientHello (a real phone's capture, refreshed with fresh keys and the
/// target's server name), sent whole and split; `None` for a profile without a template.
async fn faithful(
    profile: &'static ClientProfile,
    target: &Target,
    route: &Route,
    options: &Options,
) -> Result<Option<crate::HelloResult>, Error> {
    let Some(template) = Template::of(profile.name) else {
        return Ok(None);
    };
    let record = template
        .captured()
        .refreshed(sni(target).as_deref())?
        .to_record();
    Ok(Some(
        try_hello(
            route.clone(),
            template.source.to_owned(),
            &record,
            options.segmentation,
            options.timeout,
        )
        .await,
    ))
}

/// A verifier that accepts only the captured leaf's key, and the handshake signature made with it.
///
/// The identity it checks is the one the leaf itself names (subject serialNumber or CN as a device
/// id, else its first DNS name, else its first IP address): the probe has no expected identity, and
/// whether a phone accepts the names is the certificate rules' question, not this handshake's. Without
/// it, `trust` would check the address the probe connected to, which in a lab is never the
/// accessory's 192.168.4.1.
fn pinned_verifier(
    chain: &[CertificateDer<'static>],
) -> Result<Arc<dyn ServerCertVerifier>, Error> {
    let leaf = &chain[0];
    let pin_error = |e: trust::Error| Error::Pin {
        reason: e.to_string(),
    };
    let pin = Pin::of_certificate(leaf).map_err(pin_error)?;
    let mut policy = TrustPolicy::builder().pin(pin);
    if let Ok(seen) = Inspection::of(leaf) {
        let named = seen
            .subject_serial_numbers
            .first()
            .or(seen.common_names.first())
            .map(|id| Identity::DeviceId(id.clone()))
            .or_else(|| seen.dns_names.first().map(|d| Identity::Dns(d.clone())))
            .or_else(|| seen.ip_addresses.first().map(|ip| Identity::Ip(*ip)));
        if let Some(identity) = named {
            policy = policy.identity(identity);
        }
    }
    let policy = policy.build().map_err(pin_error)?;
    Ok(AccessoryVerifier::new(policy))
}

fn result(profile: &'static ClientProfile, hs: Handshake) -> ProfileResult {
    let error = hs.failure.as_ref().map(platform_error);
    ProfileResult {
        profile: profile.name,
        emulates: profile.emulates,
        platform: profile.platform,
        clienthello: hs.clienthello,
        clienthello_bytes: hs.clienthello_bytes,
        completed: hs.completed,
        version: hs.version,
        group: hs.group,
        suite: hs.suite,
        alert_received: hs.alert_received,
        alert_sent: hs.alert_sent,
        error,
        cause: None,
        faithful: None,
    }
}

/// What the real platforms would show for `failure`: `trust`'s diagnosis, which maps alerts,
/// refusals and socket errors to Apple's errSSL names and Android's exceptions.
fn platform_error(failure: &Failure) -> PlatformError {
    let d = match failure {
        Failure::Connect(e) | Failure::Io(e) => Diagnosis::from_io(e),
        Failure::Tls(e) => trust::diagnose(e),
        Failure::Closed => Diagnosis::new(
            codes::CLOSED,
            "the accessory closed the connection during the handshake, without an alert",
        ),
        Failure::Timeout(t) => Diagnosis::new(
            codes::TIMEOUT,
            format!("no handshake within {} s", t.as_secs()),
        ),
    };
    let summary = if d.detail.is_empty() {
        d.summary.to_owned()
    } else {
        format!("{} ({})", d.summary, d.detail)
    };
    PlatformError {
        code: d.code.to_owned(),
        summary,
        fix: d.fix.to_owned(),
        apple: d.apple.map(|a| AppleError {
            name: a.name.to_owned(),
            number: a.number,
        }),
        android: d.android.map(str::to_owned),
    }
}
