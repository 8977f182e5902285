//! x509-limbo (`/work/shared/x509-limbo/limbo.json`, C2SP's path-validation test suite): every
//! SERVER case through the anchors mode of the verifier, offline, at the case's validation time.
//!
//! Every case expected to FAIL must be refused. Cases expected to SUCCEED that we refuse are
//! allowed (this verifier is stricter than the Web PKI in places) and listed in `docs/limbo.md`,
//! as is every FAILURE case we accept and why (there are none when this test passes).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::Value;
use trust::{AccessoryVerifier, Anchors, CertificateDer, Identity, TrustPolicy, UnixTime};

fn limbo_path() -> PathBuf {
    std::env::var_os("LIMBO_JSON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/x509-limbo/limbo.json"))
}

fn pem(text: &str) -> Vec<CertificateDer<'static>> {
    trust::parse_certificates(Path::new("limbo"), text.as_bytes()).expect("limbo PEM parses")
}

fn pems(v: &Value) -> Vec<CertificateDer<'static>> {
    v.as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| pem(p.as_str().unwrap_or_default()))
        .collect()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH:MM:SS+00:00` (limbo's only spelling) as a `UnixTime`.
fn parse_time(text: &str) -> UnixTime {
    let n = |r: std::ops::Range<usize>| text[r].parse::<i64>().expect("a limbo timestamp");
    assert!(
        text.ends_with("+00:00") || text.ends_with('Z'),
        "UTC: {text}"
    );
    let days = days_from_civil(n(0..4), n(5..7), n(8..10));
    let secs = days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19);
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs as u64))
}

struct Outcome {
    id: String,
    expected_success: bool,
    verdict: Result<(), String>,
}

fn run_case(case: &Value) -> Outcome {
    let id = case["id"].as_str().unwrap_or_default().to_owned();
    let expected_success = case["expected_result"] == "SUCCESS";
    let anchors = pems(&case["trusted_certs"]);
    let mut chain = pem(case["peer_certificate"].as_str().unwrap_or_default());
    chain.extend(pems(&case["untrusted_intermediates"]));
    let now = match case["validation_time"].as_str() {
        Some(t) => parse_time(t),
        None => UnixTime::now(),
    };
    let identity = match (
        case["expected_peer_name"]["kind"].as_str(),
        case["expected_peer_name"]["value"].as_str(),
    ) {
        (Some("DNS"), Some(name)) => Some(Identity::Dns(name.to_owned())),
        (Some("IP"), Some(ip)) => Some(Identity::Ip(ip.parse::<IpAddr>().expect("limbo IP"))),
        _ => None,
    };
    let verdict = (|| {
        let anchors = Anchors::from_certificates(anchors).map_err(|e| e.to_string())?;
        let mut builder = TrustPolicy::builder().anchors(anchors);
        if let Some(id) = identity {
            builder = builder.identity(id);
        }
        let policy = builder.build().map_err(|e| e.to_string())?;
        AccessoryVerifier::new(policy)
            .verify_offline(&chain, now)
            .map(|_| ())
            .map_err(|r| r.to_string())
    })();
    Outcome {
        id,
        expected_success,
        verdict,
    }
}

/// FAILURE cases this verifier accepts, each with the reason (mirrored in docs/limbo.md).
const ACCEPTED_FAILURES: &[(&str, &str)] = &[];

#[test]
fn every_limbo_server_case_expected_to_fail_is_refused() {
    let path = limbo_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipping: {} is not here (set LIMBO_JSON)", path.display());
        return;
    };
    let limbo: Value = serde_json::from_str(&text).expect("limbo.json is JSON");
    let outcomes: Vec<Outcome> = limbo["testcases"]
        .as_array()
        .expect("testcases")
        .iter()
        .filter(|c| c["validation_kind"] == "SERVER")
        .map(run_case)
        .collect();

    let mut accepted_failures = Vec::new();
    let mut refused_successes = Vec::new();
    let (mut fail_refused, mut success_accepted) = (0, 0);
    for o in &outcomes {
        match (o.expected_success, &o.verdict) {
            (true, Ok(())) => success_accepted += 1,
            (true, Err(why)) => refused_successes.push(format!("{}: {why}", o.id)),
            (false, Err(_)) => fail_refused += 1,
            (false, Ok(())) => accepted_failures.push(o.id.clone()),
        }
    }
    println!(
        "limbo SERVER cases: {} ({} FAILURE refused, {} SUCCESS accepted, {} SUCCESS refused, {} FAILURE accepted)",
        outcomes.len(),
        fail_refused,
        success_accepted,
        refused_successes.len(),
        accepted_failures.len()
    );
    for r in &refused_successes {
        println!("  SUCCESS case refused: {r}");
    }
    for a in &accepted_failures {
        println!("  FAILURE case accepted: {a}");
    }
    let unexplained: Vec<_> = accepted_failures
        .iter()
        .filter(|id| !ACCEPTED_FAILURES.iter().any(|(known, _)| known == id))
        .collect();
    assert!(
        unexplained.is_empty(),
        "FAILURE cases accepted without a documented reason: {unexplained:?}"
    );
}
