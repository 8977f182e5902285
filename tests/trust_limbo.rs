//! x509-limbo (C2SP's path-validation test suite, shipped as test data in
//! `tests/data/x509-limbo/limbo.json` with its Apache-2.0 licence): every SERVER case through the
//! anchors mode of the verifier, offline, at the case's validation time.
//!
//! Every case expected to FAIL must be refused. Cases expected to SUCCEED that we refuse are
//! allowed (this verifier is stricter than the Web PKI in places) and listed in `docs/limbo.md`,
//! as is every FAILURE case we accept and why; a FAILURE case accepted without an entry below fails
//! the test. A missing `limbo.json` fails the tests: it ships with the repository.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::Value;
use trust::{AccessoryVerifier, Anchors, CertificateDer, Identity, TrustPolicy, UnixTime};

/// The copy in the repository (`LIMBO_JSON` overrides, to run another version of the suite).
fn limbo_path() -> PathBuf {
    std::env::var_os("LIMBO_JSON").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("data/x509-limbo/limbo.json"),
        PathBuf::from,
    )
}

/// The parsed suite; panics (the test fails) when the file is missing or not JSON.
fn limbo() -> Value {
    let path = limbo_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "x509-limbo is missing: cannot read {} ({e}); it ships with the repository in \
             tests/data/x509-limbo/ (restore it with git checkout, or set LIMBO_JSON)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("limbo.json is JSON")
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
const ACCEPTED_FAILURES: &[(&str, &str)] = &[
    ("crl::revoked-certificate-with-crl", "revocation is not checked: an accessory on its SoftAP has no route to a CRL distribution point, and the policy takes no CRLs; an administrator revokes by removing the anchor or pin from the store"),
    ("crl::crlnumber-missing", "revocation is not checked: an accessory on its SoftAP has no route to a CRL distribution point, and the policy takes no CRLs; an administrator revokes by removing the anchor or pin from the store"),
    ("crl::crlnumber-critical", "revocation is not checked: an accessory on its SoftAP has no route to a CRL distribution point, and the policy takes no CRLs; an administrator revokes by removing the anchor or pin from the store"),
    ("crl::issuer-missing-crlsign", "revocation is not checked: an accessory on its SoftAP has no route to a CRL distribution point, and the policy takes no CRLs; an administrator revokes by removing the anchor or pin from the store"),
    ("pathlen::max-chain-depth-0-exhausted", "limbo's harness sets a maximum chain depth; a TrustPolicy has no depth setting (webpki's own limit applies)"),
    ("pathlen::max-chain-depth-1-exhausted", "limbo's harness sets a maximum chain depth; a TrustPolicy has no depth setting (webpki's own limit applies)"),
    ("rfc5280::aki::leaf-missing-aki", "Authority Key Identifier rules on intermediates and roots (and a missing AKI on the leaf, which rcgen-made leaves lack by default) are not enforced; webpki builds paths by name and signature"),
    ("rfc5280::aki::intermediate-missing-aki", "Authority Key Identifier rules on intermediates and roots (and a missing AKI on the leaf, which rcgen-made leaves lack by default) are not enforced; webpki builds paths by name and signature"),
    ("rfc5280::aki::cross-signed-root-missing-aki", "Authority Key Identifier rules on intermediates and roots (and a missing AKI on the leaf, which rcgen-made leaves lack by default) are not enforced; webpki builds paths by name and signature"),
    ("rfc5280::nc::permitted-dns-match-noncritical", "name-constraint corner cases webpki does not implement (constraints on non-critical extensions, leading periods, constraints in an end-entity)"),
    ("rfc5280::nc::invalid-dnsname-leading-period", "name-constraint corner cases webpki does not implement (constraints on non-critical extensions, leading periods, constraints in an end-entity)"),
    ("rfc5280::nc::not-allowed-in-ee-noncritical", "name-constraint corner cases webpki does not implement (constraints on non-critical extensions, leading periods, constraints in an end-entity)"),
    ("rfc5280::nc::not-allowed-in-ee-critical", "name-constraint corner cases webpki does not implement (constraints on non-critical extensions, leading periods, constraints in an end-entity)"),
    ("rfc5280::pc::ica-noncritical-pc", "policy constraints are not processed (webpki does no certificate-policy processing)"),
    ("rfc5280::ski::root-missing-ski", "Subject Key Identifier rules on CAs are not enforced (webpki builds paths by name and signature; key identifiers are a path-building aid, and phones accept CAs without them)"),
    ("rfc5280::ski::intermediate-missing-ski", "Subject Key Identifier rules on CAs are not enforced (webpki builds paths by name and signature; key identifiers are a path-building aid, and phones accept CAs without them)"),
    ("rfc5280::root-non-critical-basic-constraints", "a trust anchor's basicConstraints must say CA:TRUE (refused otherwise) but need not be critical: OpenSSL 1.0's default configuration wrote it non-critical, manufacturer roots made then are still in service, and phones accept them"),
    ("webpki::aki::root-with-aki-missing-keyidentifier", "AKI contents on a trust anchor are not checked (CABF rules for public roots): easy-rsa and older OpenSSL configurations write authorityCertIssuer and serial on manufacturer roots, and a self-signed root's AKI is not used to build a path"),
    ("webpki::aki::root-with-aki-authoritycertissuer", "AKI contents on a trust anchor are not checked (CABF rules for public roots): easy-rsa and older OpenSSL configurations write authorityCertIssuer and serial on manufacturer roots, and a self-signed root's AKI is not used to build a path"),
    ("webpki::aki::root-with-aki-authoritycertserialnumber", "AKI contents on a trust anchor are not checked (CABF rules for public roots): easy-rsa and older OpenSSL configurations write authorityCertIssuer and serial on manufacturer roots, and a self-signed root's AKI is not used to build a path"),
    ("webpki::aki::root-with-aki-all-fields", "AKI contents on a trust anchor are not checked (CABF rules for public roots): easy-rsa and older OpenSSL configurations write authorityCertIssuer and serial on manufacturer roots, and a self-signed root's AKI is not used to build a path"),
    ("webpki::aki::root-with-aki-ski-mismatch", "AKI contents on a trust anchor are not checked (CABF rules for public roots): easy-rsa and older OpenSSL configurations write authorityCertIssuer and serial on manufacturer roots, and a self-signed root's AKI is not used to build a path"),
    ("webpki::cn::ipv4-hex-mismatch", "a CN that is not among the SANs is not refused: accessory certificates put the device id in the CN by design (certs contract), and names are only ever matched against SANs (never the CN), so the CN cannot make a wrong name match"),
    ("webpki::cn::ipv4-leading-zeros-mismatch", "a CN that is not among the SANs is not refused: accessory certificates put the device id in the CN by design (certs contract), and names are only ever matched against SANs (never the CN), so the CN cannot make a wrong name match"),
    ("webpki::cn::ipv6-uppercase-mismatch", "a CN that is not among the SANs is not refused: accessory certificates put the device id in the CN by design (certs contract), and names are only ever matched against SANs (never the CN), so the CN cannot make a wrong name match"),
    ("webpki::cn::ipv6-uncompressed-mismatch", "a CN that is not among the SANs is not refused: accessory certificates put the device id in the CN by design (certs contract), and names are only ever matched against SANs (never the CN), so the CN cannot make a wrong name match"),
    ("webpki::cn::ipv6-non-rfc5952-mismatch", "a CN that is not among the SANs is not refused: accessory certificates put the device id in the CN by design (certs contract), and names are only ever matched against SANs (never the CN), so the CN cannot make a wrong name match"),
    ("webpki::cn::punycode-not-in-san", "a CN that is not among the SANs is not refused: accessory certificates put the device id in the CN by design (certs contract), and names are only ever matched against SANs (never the CN), so the CN cannot make a wrong name match"),
    ("webpki::cn::utf8-vs-punycode-mismatch", "a CN that is not among the SANs is not refused: accessory certificates put the device id in the CN by design (certs contract), and names are only ever matched against SANs (never the CN), so the CN cannot make a wrong name match"),
    ("webpki::cn::not-in-san", "a CN that is not among the SANs is not refused: accessory certificates put the device id in the CN by design (certs contract), and names are only ever matched against SANs (never the CN), so the CN cannot make a wrong name match"),
    ("webpki::cn::case-mismatch", "a CN that is not among the SANs is not refused: accessory certificates put the device id in the CN by design (certs contract), and names are only ever matched against SANs (never the CN), so the CN cannot make a wrong name match"),
    ("webpki::eku::ee-anyeku", "an EKU holding anyExtendedKeyUsage alongside serverAuth is accepted (serverAuth is present)"),
    ("webpki::eku::ee-critical-eku", "a critical EKU on the leaf is accepted (CABF forbids it; RFC 5280 allows it)"),
    ("webpki::eku::ee-without-eku", "a leaf without EKU is accepted, as RFC 5280 and webpki allow (CABF requires one; `trust lint` reports it as Apple requires serverAuth)"),
    ("webpki::eku::root-has-eku", "an EKU on a trust anchor is not refused (a CABF rule for public roots): this one names serverAuth, so it constrains nothing a server certificate needs"),
    ("webpki::nc::intermediate-permitted-excluded-subtrees-both-null", "name-constraint corner cases webpki does not implement (empty or null subtrees)"),
    ("webpki::nc::intermediate-permitted-excluded-subtrees-both-empty-sequences", "name-constraint corner cases webpki does not implement (empty or null subtrees)"),
    ("webpki::san::public-suffix-multi-label-wildcard-san", "wildcards over public suffixes are not refused: there is no public suffix list here, and accessory identities are device ids, not wildcards"),
    ("webpki::san::public-suffix-private-namespace-wildcard-san", "wildcards over public suffixes are not refused: there is no public suffix list here, and accessory identities are device ids, not wildcards"),
    ("webpki::malformed-aia", "the Authority Information Access extension is not read (no fetching, no network I/O)"),
];

#[test]
fn every_limbo_server_case_expected_to_fail_is_refused() {
    let limbo = limbo();
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
    let stale: Vec<_> = ACCEPTED_FAILURES
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !accepted_failures.iter().any(|a| a == id))
        .collect();
    assert!(
        stale.is_empty(),
        "refused now, still listed as accepted (update ACCEPTED_FAILURES and docs/limbo.md): {stale:?}"
    );
}

fn limbo_case(id: &str) -> Value {
    limbo()["testcases"]
        .as_array()
        .expect("testcases")
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} is not in {}", limbo_path().display()))
}

#[test]
fn a_trust_anchor_unfit_to_issue_is_refused_with_a_code_naming_what_is_wrong() {
    let cases = [
        ("rfc5280::validity::expired-root", "cert.expired"),
        (
            "rfc5280::root-missing-basic-constraints",
            "cert.anchor_not_issuer",
        ),
        (
            "rfc5280::root-inconsistent-ca-extensions",
            "cert.anchor_not_issuer",
        ),
        (
            "rfc5280::unknown-critical-extension-root",
            "cert.unsupported_critical_extension",
        ),
        (
            "webpki::forbidden-rsa-not-divisible-by-8-in-root",
            "cert.weak_key",
        ),
        ("rfc5280::ca-empty-subject", "cert.bad_encoding"),
        ("rfc5280::aki::critical-aki", "cert.bad_encoding"),
        ("rfc5280::ski::critical-ski", "cert.bad_encoding"),
    ];
    for (id, code) in cases {
        let case = limbo_case(id);
        let why = run_case(&case).verdict.expect_err(id);
        println!("{id}: {why}");
        assert!(
            why.contains("the trust anchor") && why.ends_with(&format!("({code})")),
            "{id}: {why}"
        );
        // An anchor that is an accessory's own certificate is not to be replaced but trusted
        // for what it is; every other unfit anchor is to be replaced.
        let advice = if code == "cert.anchor_not_issuer" {
            "trust the manufacturer's CA"
        } else {
            "replace the anchor in the store"
        };
        assert!(why.contains(advice), "{id}: {why}");
    }
}
