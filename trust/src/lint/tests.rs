//! Lint rules against certificates made with rcgen at test time (the catalogue's bad profiles that
//! rcgen cannot make, RSA-1024 and SHA-1, are covered by the integration tests in `tests/admin_lint.rs`).

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, SanType,
};
use rustls_pki_types::CertificateDer;
use time::macros::datetime;

use super::*;

fn options(profile: RuleBook) -> LintOptions {
    LintOptions {
        profile,
        role: Role::Auto,
        now: datetime!(2026-06-01 0:00 UTC),
    }
}

/// A good accessory leaf: DNS and IP SAN, serverAuth, P-256, one year.
fn good_params() -> CertificateParams {
    let mut p = CertificateParams::new(vec!["sim-0001.accessory.local".to_owned()]).unwrap();
    p.subject_alt_names
        .push(SanType::IpAddress("192.168.4.1".parse().unwrap()));
    p.distinguished_name.push(DnType::CommonName, "SIM-0001");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = date_time_ymd(2027, 1, 1);
    p
}

fn make(p: CertificateParams) -> CertificateDer<'static> {
    let key = KeyPair::generate().unwrap();
    p.self_signed(&key).unwrap().der().clone()
}

fn lint_one(p: CertificateParams, profile: RuleBook) -> LintReport {
    lint(&[make(p)], &options(profile)).unwrap()
}

#[test]
fn a_good_accessory_leaf_passes_the_apple_profile_without_findings() {
    let r = lint_one(good_params(), RuleBook::Apple);
    assert!(r.passed, "{:#?}", r.findings);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
}

#[test]
fn a_cn_only_leaf_breaks_the_san_rule_on_apple_android_and_webpki() {
    let mut p = good_params();
    p.subject_alt_names.clear();
    let r = lint_one(p, RuleBook::All);
    assert!(!r.passed);
    for rule in [
        "apple.san_dns_name",
        "android.san_required",
        "webpki.san_required",
    ] {
        let f = r.findings.iter().find(|f| f.rule == rule).expect(rule);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.field, "subjectAltName");
    }
    let apple = r
        .findings
        .iter()
        .find(|f| f.rule == "apple.san_dns_name")
        .unwrap();
    assert!(apple.message.contains("SIM-0001"), "{}", apple.message);
    assert!(apple.source.url.contains("support.apple.com"));
}

#[test]
fn a_three_year_leaf_breaks_apples_825_day_rule_and_398_is_only_a_note() {
    let mut p = good_params();
    p.not_after = date_time_ymd(2029, 1, 1);
    let r = lint_one(p, RuleBook::Apple);
    assert!(!r.passed);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "apple.validity_825")
        .unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.field, "validity");
    let note = r
        .findings
        .iter()
        .find(|f| f.rule == "apple.validity_398")
        .unwrap();
    assert_eq!(note.severity, Severity::Note);
}

#[test]
fn exactly_825_days_passes_and_one_day_more_fails() {
    let mut p = good_params();
    // notAfter - notBefore = 825 days exactly (what `openssl req -days 825` makes), then 1 s more.
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = datetime!(2028-04-05 0:00 UTC);
    let r = lint_one(p.clone(), RuleBook::Apple);
    assert!(!r.has("apple.validity_825"), "{:#?}", r.findings);
    p.not_after = datetime!(2028-04-05 0:00:01 UTC);
    let r = lint_one(p, RuleBook::Apple);
    assert!(r.has("apple.validity_825"));
}

#[test]
fn the_web_pki_counts_398_days_inclusive_of_both_ends() {
    let mut p = good_params();
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = datetime!(2027-02-03 0:00 UTC); // 398 days after: 398 days and 1 s inclusive
    assert!(lint_one(p.clone(), RuleBook::Webpki).has("webpki.validity_398"));
    p.not_after = datetime!(2027-02-02 23:59:59 UTC);
    assert!(!lint_one(p, RuleBook::Webpki).has("webpki.validity_398"));
}

#[test]
fn a_leaf_from_before_july_2019_is_not_held_to_the_eku_and_825_day_rules() {
    let mut p = good_params();
    p.extended_key_usages.clear();
    p.not_before = date_time_ymd(2019, 6, 1);
    p.not_after = date_time_ymd(2030, 1, 1);
    let mut o = options(RuleBook::Apple);
    o.now = datetime!(2026-06-01 0:00 UTC);
    let r = lint(&[make(p)], &o).unwrap();
    assert!(!r.has("apple.server_auth_eku"));
    assert!(!r.has("apple.validity_825"));
}

#[test]
fn a_client_auth_only_leaf_breaks_the_eku_rule_on_apple_and_android() {
    let mut p = good_params();
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let r = lint_one(p, RuleBook::All);
    let apple = r
        .findings
        .iter()
        .find(|f| f.rule == "apple.server_auth_eku")
        .unwrap();
    assert_eq!(apple.field, "extendedKeyUsage");
    assert!(apple.message.contains("clientAuth"), "{}", apple.message);
    assert!(r.has("android.server_auth_eku"));
    assert!(r.has("webpki.server_auth_eku"));
}

#[test]
fn a_leaf_without_eku_fails_apple_but_passes_android() {
    let mut p = good_params();
    p.extended_key_usages.clear();
    let r = lint_one(p, RuleBook::All);
    assert!(r.has("apple.server_auth_eku"));
    assert!(!r.has("android.server_auth_eku"));
}

#[test]
fn an_expired_leaf_is_an_error_in_every_profile() {
    let mut p = good_params();
    p.not_before = date_time_ymd(2024, 1, 1);
    p.not_after = date_time_ymd(2025, 1, 1);
    for profile in [RuleBook::Apple, RuleBook::Android, RuleBook::Webpki] {
        let r = lint_one(p.clone(), profile);
        assert!(r.has("x509.expired"), "{profile:?}");
        assert!(!r.passed);
    }
}

#[test]
fn a_lone_root_is_linted_as_a_ca_and_not_held_to_server_rules() {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "Accessory Root");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = date_time_ymd(2036, 1, 1);
    let r = lint_one(p, RuleBook::All);
    assert_eq!(r.certificates[0].role, Role::Ca);
    assert!(r.passed, "{:#?}", r.findings);
}

#[test]
fn a_ca_true_leaf_with_names_is_linted_as_a_server_and_flagged_for_webpki() {
    let mut p = good_params();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let r = lint_one(p, RuleBook::All);
    assert_eq!(r.certificates[0].role, Role::Server);
    assert!(r.has("webpki.ca_as_end_entity"));
    assert!(!r.has("apple.san_dns_name"));
}

#[test]
fn an_unknown_critical_extension_is_an_error() {
    let mut p = good_params();
    let mut ext =
        rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 1], vec![0x05, 0x00]);
    ext.set_criticality(true);
    p.custom_extensions.push(ext);
    let r = lint_one(p, RuleBook::Apple);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "x509.unknown_critical_extension")
        .unwrap();
    assert!(f.message.contains("1.3.6.1.4.1.55555.1"));
}

#[test]
fn garbage_is_an_error_naming_the_certificate() {
    let e = lint(
        &[CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])],
        &options(RuleBook::Apple),
    )
    .unwrap_err();
    assert!(e.to_string().contains("certificate #0"), "{e}");
}

#[test]
fn every_rule_has_a_source_and_a_unique_id() {
    let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len());
    for r in RULES {
        assert!(r.source.url.starts_with("https://"), "{}", r.id);
        assert!(r.id.starts_with(match r.platform {
            Platform::X509 => "x509.",
            Platform::Apple => "apple.",
            Platform::Android => "android.",
            Platform::Webpki => "webpki.",
        }));
    }
}
