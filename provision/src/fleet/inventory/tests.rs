//! The inventory's formats, checks and label rows.

use super::*;

const PIN: &str = "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

fn parse(text: &str, format: InventoryFormat) -> Result<Inventory, InventoryError> {
    Inventory::parse(text, format, Path::new("/inv/fleet.x"))
}

#[test]
fn a_csv_inventory_reads_rows_with_their_lines_and_empty_cells_absent() {
    let text = format!(
        "device_id,address,pin,anchors,pop_file\n# a comment\nA-1,127.0.0.1:8443,{PIN},,\nA-2,127.0.0.1:8444,,maker.pem,pop/a2.txt\n"
    );
    let inv = parse(&text, InventoryFormat::Csv).unwrap();
    assert_eq!(inv.rows.len(), 2);
    let (place, row) = &inv.rows[1];
    assert_eq!(place.row, 2);
    assert_eq!(place.line, Some(4));
    assert_eq!(row.anchors.as_deref(), Some(Path::new("/inv/maker.pem")));
    assert_eq!(row.pop_file.as_deref(), Some(Path::new("/inv/pop/a2.txt")));
    assert_eq!(inv.rows[0].1.anchors, None);
}

#[test]
fn the_manifest_sim_fleet_writes_is_an_inventory() {
    let text = format!(
        r#"{{"anchors": "/m/anchors.pem", "profile": "good",
           "accessories": [{{"id": "SIM-0001", "addr": "127.0.0.1:40001", "pin": "{PIN}", "anchors": "/m/anchors.pem"}}]}}"#
    );
    let inv = parse(&text, InventoryFormat::Json).unwrap();
    assert_eq!(inv.rows[0].1.device_id, "SIM-0001");
    assert_eq!(inv.rows[0].1.address.as_deref(), Some("127.0.0.1:40001"));
}

#[test]
fn a_toml_inventory_takes_its_top_anchors_as_every_rows_default() {
    let text =
        "anchors = \"root.pem\"\n[[accessories]]\ndevice_id = \"T-1\"\nsoftap_ssid = \"Acme-1\"\n";
    let inv = parse(text, InventoryFormat::Toml).unwrap();
    assert_eq!(
        inv.rows[0].1.anchors.as_deref(),
        Some(Path::new("/inv/root.pem"))
    );
}

#[test]
fn a_csv_row_without_trust_is_refused_naming_its_line_and_id() {
    let text = format!("device_id,address,pin\nA-1,127.0.0.1:1,{PIN}\nA-2,127.0.0.1:2,\n");
    let e = parse(&text, InventoryFormat::Csv).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("/inv/fleet.x: line 3 (row 2) (A-2): no way to trust it"),
        "{msg}"
    );
    assert_eq!(e.code(), crate::diagnosis::codes::INPUT_INVENTORY);
}

#[test]
fn an_unknown_column_is_refused_not_ignored() {
    let e = parse(
        "device_id,address,fingreprint\nA,1.2.3.4,ab\n",
        InventoryFormat::Csv,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("line 2") && msg.contains("fingreprint"),
        "{msg}"
    );
    let e = parse(
        "[[accessories]]\ndevice_id = \"A\"\naddress = \"1.2.3.4\"\n\nfingreprint = \"ab\"\n",
        InventoryFormat::Toml,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("line 5") && msg.contains("fingreprint"),
        "{msg}"
    );
}

#[test]
fn a_json_syntax_error_names_its_line_and_a_bad_row_its_position() {
    let e = parse("[\n{\"device_id\": \"A\",\n}]", InventoryFormat::Json).unwrap_err();
    assert!(e.to_string().contains("line 3"), "{e}");
    let e = parse(
        "{\"accessories\": [\n{\"device_id\": \"A\",\n \"pinn\": \"x\"}]}",
        InventoryFormat::Json,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("line 3") && e.to_string().contains("pinn"),
        "{e}"
    );
    let text = format!(
        r#"[{{"device_id": "A", "address": "1.2.3.4", "pin": "{PIN}"}},
           {{"device_id": "B", "address": "1.2.3.4", "pin": "sha256/short"}}]"#
    );
    let e = parse(&text, InventoryFormat::Json).unwrap_err();
    assert!(
        e.to_string().starts_with("/inv/fleet.x: row 2 (B): pin"),
        "{e}"
    );
}

#[test]
fn a_device_listed_twice_or_with_no_place_is_refused_and_a_softap_may_name_its_address() {
    let text = format!("device_id,address,pin\nA,1.2.3.4,{PIN}\na,1.2.3.5,{PIN}\n");
    let e = parse(&text, InventoryFormat::Csv).unwrap_err();
    assert!(e.to_string().contains("listed twice"), "{e}");
    let text = format!("device_id,address,softap_ssid,pin\nA,,,{PIN}\n");
    let e = parse(&text, InventoryFormat::Csv).unwrap_err();
    assert!(
        e.to_string().contains("give an address or a softap_ssid"),
        "{e}"
    );
    let text = format!("device_id,address,softap_ssid,pin\nA,1.2.3.4:8443,Acme,{PIN}\n");
    let inv = parse(&text, InventoryFormat::Csv).unwrap();
    assert_eq!(inv.rows[0].1.softap_ssid.as_deref(), Some("Acme"));
    assert_eq!(inv.rows[0].1.address.as_deref(), Some("1.2.3.4:8443"));
}

/// A label.txt for `id` in `dir`, its key all `key` bytes.
fn write_label(dir: &Path, name: &str, id: &str, key: u8) -> protocol::label::Label {
    let label = protocol::label::Label {
        device_id: id.into(),
        ssid: format!("Accessory-{}", &id[id.len() - 4..]),
        key_sha256: [key; 32],
        pop: "K7Q2M9XW4TPA8D3R".into(),
    };
    std::fs::write(dir.join(name), label.payload() + "\n").unwrap();
    label
}

#[test]
fn a_label_row_takes_its_id_key_softap_and_pop_code_from_the_label() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.csv");
    let a = write_label(dir.path(), "a.txt", "PLUG-0001", 1);
    let b = write_label(dir.path(), "b.txt", "PLUG-0002", 2);
    std::fs::write(dir.path().join("root.pem"), "").unwrap();
    let text = "label,address,anchors\na.txt,127.0.0.1:8443,\nb.txt,,root.pem\n";
    let inv = Inventory::parse(text, InventoryFormat::Csv, &file).unwrap();
    let (_, row) = &inv.rows[0];
    assert_eq!(row.device_id, "PLUG-0001");
    assert_eq!(row.fingerprint.as_deref(), Some(a.key_pin().as_str()));
    // No anchors: the label's key is the pin too.
    assert_eq!(row.pin.as_deref(), Some(a.key_pin().as_str()));
    // An address: reached there, not over the SoftAP.
    assert_eq!(row.softap_ssid, None);
    assert_eq!(row.label_pop.as_ref().unwrap().expose(), a.pop);
    let (_, row) = &inv.rows[1];
    assert_eq!(row.device_id, "PLUG-0002");
    assert_eq!(row.fingerprint.as_deref(), Some(b.key_pin().as_str()));
    assert_eq!(
        row.pin, None,
        "anchors given: the key is checked, not the pin"
    );
    assert_eq!(row.softap_ssid.as_deref(), Some("Accessory-0002"));
}

#[test]
fn a_row_that_contradicts_its_label_is_refused_naming_the_field_and_no_pop_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.toml");
    let label = write_label(dir.path(), "label.txt", "PLUG-0001", 1);
    std::fs::write(dir.path().join("same.pop"), format!("{}\n", label.pop)).unwrap();
    std::fs::write(dir.path().join("other.pop"), "ZZZZZZZZZZZZZZZZ\n").unwrap();
    let other_pin = format!("sha256/{}", "A".repeat(43) + "=");
    let row = |extra: &str| {
        format!("[[accessories]]\nlabel = \"label.txt\"\naddress = \"127.0.0.1\"\n{extra}\n")
    };
    // What agrees with the label is accepted.
    let agreeing = row(&format!(
        "device_id = \"plug-0001\"\nsoftap_ssid = \"Accessory-0001\"\npin = \"{}\"\npop_file = \"same.pop\"",
        label.key_pin()
    ));
    Inventory::parse(&agreeing, InventoryFormat::Toml, &file).unwrap();
    for (extra, field) in [
        ("device_id = \"PLUG-0002\"".to_owned(), "device_id"),
        (format!("pin = \"{other_pin}\""), "pin"),
        (format!("fingerprint = \"{other_pin}\""), "fingerprint"),
        ("softap_ssid = \"Accessory-9999\"".to_owned(), "softap_ssid"),
        ("pop_file = \"other.pop\"".to_owned(), "pop_file"),
    ] {
        let e = Inventory::parse(&row(&extra), InventoryFormat::Toml, &file).unwrap_err();
        let msg = e.to_string();
        assert_eq!(e.code(), crate::diagnosis::codes::INPUT_INVENTORY, "{msg}");
        assert!(msg.contains("row 1 ("), "{msg}");
        assert!(msg.contains(&format!(": {field} ")), "{field}: {msg}");
        assert!(!msg.contains(&label.pop) && !msg.contains("ZZZZ"), "{msg}");
    }
}

#[test]
fn an_unreadable_label_is_refused_with_its_own_label_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.csv");
    let label = write_label(dir.path(), "label.txt", "PLUG-0001", 1);
    std::fs::write(
        dir.path().join("label.txt"),
        label.payload().replace("PLUG-0001", "PLUG-0007"),
    )
    .unwrap();
    let e = Inventory::parse(
        "label,address\nlabel.txt,127.0.0.1\n",
        InventoryFormat::Csv,
        &file,
    )
    .unwrap_err();
    assert_eq!(e.code(), "label.checksum", "{e}");
    assert!(e.to_string().contains("line 2 (row 1)"), "{e}");
    let e = Inventory::parse(
        "label,address\nnone.txt,127.0.0.1\n",
        InventoryFormat::Csv,
        &file,
    )
    .unwrap_err();
    assert_eq!(e.code(), "label.unreadable", "{e}");
}

#[test]
fn an_empty_inventory_and_an_unknown_extension_are_refused() {
    assert!(matches!(
        parse("device_id,address\n", InventoryFormat::Csv),
        Err(InventoryError::Empty { .. })
    ));
    assert_eq!(InventoryFormat::of(Path::new("x.yaml")), None);
    assert_eq!(
        InventoryFormat::of(Path::new("x.CSV")),
        Some(InventoryFormat::Csv)
    );
}

#[test]
fn an_esp_row_needs_no_certificate_over_http_but_its_proof_and_a_known_protocol() {
    let header =
        "device_id,address,protocol,esp_transport,fingerprint,pop_file,api_profile,esp_username\n";
    let ok = parse(
        &format!("{header}E-1,127.0.0.1,esp,,,e1.pop,,\nE-2,127.0.0.1,esp,http,,e2.pop,,\n"),
        InventoryFormat::Csv,
    )
    .unwrap();
    assert_eq!(ok.rows[0].1.protocol.as_deref(), Some("esp"));
    assert_eq!(
        ok.rows[0].1.pop_file.as_deref(),
        Some(Path::new("/inv/e1.pop"))
    );
    for (row, words) in [
        ("E-1,127.0.0.1,esb,,,e1.pop,,", "protocol \"esb\""),
        ("E-1,127.0.0.1,esp,,,,,", "needs its proof"),
        ("E-1,127.0.0.1,esp,ftp,,e1.pop,,", "esp_transport \"ftp\""),
        ("E-1,127.0.0.1,esp,,,e1.pop,p.toml,", "API profile"),
        (
            "E-1,127.0.0.1,esp,https,sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,e1.pop,,",
            "needs a pin or anchors",
        ),
        (
            "E-1,127.0.0.1,,,sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,,,admin",
            "protocol = esp rows",
        ),
    ] {
        let e = parse(&format!("{header}{row}\n"), InventoryFormat::Csv).unwrap_err();
        assert!(e.to_string().contains(words), "{row}: {e}");
        assert_eq!(e.code(), crate::diagnosis::codes::INPUT_INVENTORY);
    }
}
