//! `trust lint` on the certificate catalogue: each Apple rule is caught on the profile that breaks it,
//! the good profiles pass, and the binary's exit status is what a factory CI gate needs.

use accessory_tests::admin::{arg, assert_status, json, run, write_profile};
use trust::lint::{lint, LintOptions, RuleBook, Severity};

const DEVICE: &str = "ADM-0001";

#[track_caller]
fn apple_errors(profile: &str) -> Vec<&'static str> {
    let m = certs::generate(profile, &certs::Options::new(DEVICE)).expect("catalogue profile");
    let report = lint(&m.chain, &LintOptions::new(RuleBook::Apple)).expect("lint runs");
    report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule)
        .collect()
}

#[test]
fn each_apple_rule_is_caught_on_the_catalogue_profile_that_breaks_it() {
    for (profile, rule) in [
        ("cn-only", "apple.san_dns_name"),
        ("long-validity", "apple.validity_825"),
        ("client-auth-eku", "apple.server_auth_eku"),
        ("rsa-1024", "apple.rsa_key_size"),
        ("sha1", "apple.sha2_signature"),
    ] {
        let errors = apple_errors(profile);
        assert!(
            errors.contains(&rule),
            "{profile}: expected {rule} among the errors {errors:?}"
        );
    }
}

#[test]
fn the_good_catalogue_leaves_pass_the_apple_profile() {
    for profile in ["good-chain", "good-self-signed"] {
        let m = certs::generate(profile, &certs::Options::new(DEVICE)).unwrap();
        let report = lint(&m.chain, &LintOptions::new(RuleBook::Apple)).unwrap();
        assert!(report.passed, "{profile}: {:#?}", report.findings);
        assert_eq!(report.count(Severity::Error), 0, "{profile}");
    }
}

#[test]
fn the_good_chain_passes_every_profile_with_at_most_warnings() {
    let m = certs::generate("good-chain", &certs::Options::new(DEVICE)).unwrap();
    let report = lint(&m.chain, &LintOptions::new(RuleBook::All)).unwrap();
    assert!(report.passed, "{:#?}", report.findings);
}

#[test]
fn rsa_1024_is_an_android_warning_but_an_apple_error() {
    let m = certs::generate("rsa-1024", &certs::Options::new(DEVICE)).unwrap();
    let report = lint(&m.chain, &LintOptions::new(RuleBook::Android)).unwrap();
    let f = report
        .findings
        .iter()
        .find(|f| f.rule == "android.rsa_key_size" && f.certificate == 0)
        .expect("the android key size rule fires");
    assert_eq!(f.severity, Severity::Warning);
}

#[test]
fn lint_exits_1_with_json_findings_for_a_broken_certificate_and_0_for_a_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, _, _) = write_profile(dir.path(), "long-validity", DEVICE);
    let out = run(&["trust", "lint", arg(&bad), "--profile", "apple", "--json"]);
    assert_status(&out, 1);
    let v = json(&out);
    assert_eq!(v["passed"], false);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "apple.validity_825")
        .expect("the 825-day finding");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["field"], "validity");
    assert!(f["source"]["url"]
        .as_str()
        .unwrap()
        .starts_with("https://support.apple.com/"));

    let (good, _, _) = write_profile(dir.path(), "good-chain", DEVICE);
    let out = run(&["trust", "lint", arg(&good), "--profile", "apple"]);
    assert_status(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("PASS"));
}

#[test]
fn lint_of_a_missing_or_garbage_file_exits_3_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["trust", "lint", arg(&dir.path().join("nope.pem"))]);
    assert_status(&out, 3);
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "hello, not a certificate\n").unwrap();
    let out = run(&["trust", "lint", arg(&garbage)]);
    assert_status(&out, 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("garbage.pem"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn every_lint_rule_is_explained_in_the_admin_docs() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/trust-admin.md"
    ))
    .expect("docs/trust-admin.md");
    for rule in trust::lint::RULES {
        assert!(
            doc.contains(&format!("`{}`", rule.id)),
            "docs/trust-admin.md does not explain {}",
            rule.id
        );
    }
}
