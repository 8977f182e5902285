use super::*;

fn values<'a>(passphrase: &'a str) -> Values<'a> {
    Values {
        ssid: "Home & \"Garden\"",
        passphrase,
        security: "wpa2-psk",
        hidden: false,
        device_id: "SIM-1",
    }
}

#[test]
fn placeholders_are_names_in_braces_and_json_objects_are_not() {
    let found = placeholders_in(r#"{"a": "{ssid}", "b": {}, "c": "{x1}{2}"}"#);
    let names: Vec<_> = found.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["ssid", "x1"]);
}

#[test]
fn a_json_body_is_rendered_in_written_order_with_exact_escaping_and_read_back() {
    let t = BodyTemplate::parse(
        BodyKind::Json,
        r#"{"z": {"ssid": "{ssid}", "pass": "{passphrase}"}, "hidden": "{hidden}", "n": 1}"#,
    )
    .unwrap();
    let mut out = Vec::new();
    t.render(&values("pa\"ss word"), &mut out);
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        r#"{"z":{"ssid":"Home & \"Garden\"","pass":"pa\"ss word"},"hidden":false,"n":1}"#
    );
    let back = t.read(&out).unwrap();
    assert_eq!(back.ssid.as_deref(), Some("Home & \"Garden\""));
    assert_eq!(back.passphrase.as_deref(), Some("pa\"ss word"));
    let mut open = Vec::new();
    t.render(&values(""), &mut open);
    assert!(!String::from_utf8(open).unwrap().contains("pass"));
}

#[test]
fn a_form_body_is_percent_encoded_and_read_back() {
    let t = BodyTemplate::parse(BodyKind::Form, "ssid={ssid}&pass={passphrase}&save=1").unwrap();
    let mut out = Vec::new();
    t.render(&values("a+b c%"), &mut out);
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        "ssid=Home+%26+%22Garden%22&pass=a%2Bb+c%25&save=1"
    );
    let back = t.read(&out).unwrap();
    assert_eq!(back.ssid.as_deref(), Some("Home & \"Garden\""));
    assert_eq!(back.passphrase.as_deref(), Some("a+b c%"));
}

#[test]
fn max_len_bounds_the_rendered_body_at_the_worst_escaping() {
    let worst = "\u{1}".repeat(63);
    for (kind, text) in [
        (
            BodyKind::Json,
            r#"{"a": {"ssid": "{ssid}", "pass": "{passphrase}"}, "h": "{hidden}"}"#,
        ),
        (BodyKind::Form, "ssid={ssid}&pass={passphrase}&x=1"),
    ] {
        let t = BodyTemplate::parse(kind, text).unwrap();
        for pass in ["", "x", worst.as_str()] {
            let v = Values {
                ssid: &worst,
                passphrase: pass,
                security: "wpa2-psk",
                hidden: true,
                device_id: "D",
            };
            let mut out = Vec::new();
            t.render(&v, &mut out);
            assert!(
                out.len() <= t.max_len(&v),
                "{kind:?} {} > {}",
                out.len(),
                t.max_len(&v)
            );
        }
    }
}

#[test]
fn a_placeholder_inside_a_longer_value_is_refused() {
    let e = BodyTemplate::parse(BodyKind::Json, r#"{"s": "net:{ssid}"}"#).unwrap_err();
    assert_eq!(e.at.as_deref(), Some("ssid"));
    let e = BodyTemplate::parse(BodyKind::Form, "s=x{ssid}").unwrap_err();
    assert_eq!(e.at.as_deref(), Some("ssid"));
}
