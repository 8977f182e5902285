//! The templates of an API profile: paths with `{device_id}`, and the set-network body (JSON or
//! form) whose values are placeholders. Rendering (the client) and reading back (the simulated
//! accessory) are both here, so the two ends cannot disagree.
//!
//! A placeholder is `{name}`. In a body it is a whole value: a JSON string that is exactly
//! `"{ssid}"`, or a form value that is exactly `{ssid}`; that is what lets the accessory read the
//! values back, and what makes escaping exact (the value is written by the JSON or form encoder,
//! never spliced into text).

use std::fmt::Write as _;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// A value a template can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placeholder {
    /// `{ssid}`: the home network's name.
    Ssid,
    /// `{passphrase}`: the home network's passphrase; only in the set-network body.
    Passphrase,
    /// `{security}`: how the network is secured, as [`crate::Security`] spells it.
    Security,
    /// `{hidden}`: whether the network is hidden (a JSON boolean, or `true`/`false` in a form).
    Hidden,
    /// `{device_id}`: the id the accessory reported and its certificate proved.
    DeviceId,
}

impl Placeholder {
    /// Every placeholder, for messages.
    pub const ALL: [Placeholder; 5] = [
        Placeholder::Ssid,
        Placeholder::Passphrase,
        Placeholder::Security,
        Placeholder::Hidden,
        Placeholder::DeviceId,
    ];

    /// The name between the braces.
    pub const fn name(self) -> &'static str {
        match self {
            Placeholder::Ssid => "ssid",
            Placeholder::Passphrase => "passphrase",
            Placeholder::Security => "security",
            Placeholder::Hidden => "hidden",
            Placeholder::DeviceId => "device_id",
        }
    }

    /// The placeholder named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Placeholder> {
        Placeholder::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// Every `{name}` in `text`: the name and its byte offset (of the `{`). A name is ASCII letters,
/// digits and `_`, starting with a letter or `_`; `{"a": 1}` and `{}` are not placeholders.
pub(crate) fn placeholders_in(text: &str) -> Vec<(&str, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' {
            let start = i + 1;
            let mut j = start;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            if j > start && j < bytes.len() && bytes[j] == b'}' && !bytes[start].is_ascii_digit() {
                found.push((&text[start..j], i));
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// The values a template is filled with. No `Debug`: it holds the passphrase.
pub struct Values<'a> {
    /// The SSID.
    pub ssid: &'a str,
    /// The passphrase; empty for an open network.
    pub passphrase: &'a str,
    /// The security kind's spelling.
    pub security: &'a str,
    /// A hidden network.
    pub hidden: bool,
    /// The proven device id.
    pub device_id: &'a str,
}

impl Values<'_> {
    fn text(&self, p: Placeholder) -> &str {
        match p {
            Placeholder::Ssid => self.ssid,
            Placeholder::Passphrase => self.passphrase,
            Placeholder::Security => self.security,
            Placeholder::Hidden => {
                if self.hidden {
                    "true"
                } else {
                    "false"
                }
            }
            Placeholder::DeviceId => self.device_id,
        }
    }
}

/// A path template: literal text and `{device_id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    text: String,
}

impl PathTemplate {
    pub(crate) fn new(text: String) -> Self {
        PathTemplate { text }
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The path with `{device_id}` filled in (percent-encoded as a path segment).
    pub fn render(&self, device_id: &str) -> String {
        self.text
            .replace("{device_id}", &percent_encode(device_id, false))
    }

    /// Whether a request path is this template's, for `device_id`.
    pub fn matches(&self, path: &str, device_id: &str) -> bool {
        self.render(device_id) == path
    }
}

/// A JSON value as the template wrote it, members in their written order (a device may care,
/// and the built-in profile's bytes are exactly today's).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    /// A literal string.
    Text(String),
    /// A whole-value placeholder.
    Slot(Placeholder),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

/// How the set-network body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyKind {
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

impl BodyKind {
    /// The `Content-Type` the body is sent with.
    pub const fn content_type(self) -> &'static str {
        match self {
            BodyKind::Json => "application/json",
            BodyKind::Form => "application/x-www-form-urlencoded",
        }
    }
}

/// The set-network body.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyTemplate {
    pub(crate) kind: BodyKind,
    pub(crate) json: Option<Node>,
    pub(crate) form: Vec<(String, FormValue)>,
}

/// One form pair's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FormValue {
    Text(String),
    Slot(Placeholder),
}

/// What the accessory read back from a body (no `Debug`: it holds the passphrase).
#[derive(Default)]
pub struct ReadBack {
    /// `{ssid}`.
    pub ssid: Option<String>,
    /// `{passphrase}`; `None` when absent or empty.
    pub passphrase: Option<String>,
    /// `{security}`.
    pub security: Option<String>,
    /// `{hidden}`.
    pub hidden: bool,
}

impl ReadBack {
    fn set(&mut self, p: Placeholder, text: String) {
        match p {
            Placeholder::Ssid => self.ssid = Some(text),
            Placeholder::Passphrase => self.passphrase = Some(text).filter(|t| !t.is_empty()),
            Placeholder::Security => self.security = Some(text),
            Placeholder::Hidden => self.hidden = text == "true",
            Placeholder::DeviceId => {}
        }
    }
}

/// Why a body template was refused: a message, and the placeholder it is about (for its line).
#[derive(Debug)]
pub(crate) struct TemplateProblem {
    pub message: String,
    pub at: Option<String>,
}

impl BodyTemplate {
    /// Parses a body template (its placeholders already checked to be known names).
    pub(crate) fn parse(kind: BodyKind, text: &str) -> Result<BodyTemplate, TemplateProblem> {
        match kind {
            BodyKind::Json => {
                let node: Node = serde_json::from_str(text).map_err(|e| TemplateProblem {
                    message: format!(
                        "the body is not JSON (line {} column {} of the body): {e}",
                        e.line(),
                        e.column()
                    ),
                    at: None,
                })?;
                node.check()?;
                Ok(BodyTemplate {
                    kind,
                    json: Some(node),
                    form: Vec::new(),
                })
            }
            BodyKind::Form => {
                let mut form = Vec::new();
                for pair in text.trim().split('&').filter(|p| !p.is_empty()) {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    let value = match placeholders_in(value).as_slice() {
                        [] => FormValue::Text(value.to_owned()),
                        [(name, 0)] if value.len() == name.len() + 2 => {
                            FormValue::Slot(Placeholder::from_name(name).expect("checked"))
                        }
                        [(name, _), ..] => {
                            return Err(TemplateProblem {
                                message: format!(
                                    "{{{name}}} must be a whole form value (`{key}={{{name}}}`), not part of one"
                                ),
                                at: Some((*name).to_owned()),
                            })
                        }
                    };
                    form.push((key.to_owned(), value));
                }
                Ok(BodyTemplate {
                    kind,
                    json: None,
                    form,
                })
            }
        }
    }

    /// How the body is encoded.
    pub fn kind(&self) -> BodyKind {
        self.kind
    }

    /// Whether the body carries `p`.
    pub fn uses(&self, p: Placeholder) -> bool {
        match &self.json {
            Some(node) => node.uses(p),
            None => self.form.iter().any(|(_, v)| *v == FormValue::Slot(p)),
        }
    }

    /// The most bytes [`BodyTemplate::render`] writes for these values (each value escaped at its
    /// worst: six bytes a character in JSON, three a byte in a form), so a caller can reserve the
    /// buffer once and no reallocation leaves a copy of the passphrase behind.
    pub fn max_len(&self, values: &Values<'_>) -> usize {
        let empty = Values {
            ssid: "",
            passphrase: "",
            security: "",
            hidden: false,
            device_id: "",
        };
        let mut base = Vec::new();
        self.render(&empty, &mut base);
        let slots: Vec<Placeholder> = match &self.json {
            Some(node) => {
                let mut v = Vec::new();
                node.slots(&mut v);
                v
            }
            None => self
                .form
                .iter()
                .filter_map(|(_, v)| match v {
                    FormValue::Slot(p) => Some(*p),
                    FormValue::Text(_) => None,
                })
                .collect(),
        };
        // Every slot: its value at the worst escaping, plus the member name and quotes an empty
        // passphrase left out of `base`.
        base.len()
            + slots
                .iter()
                .map(|p| 6 * values.text(*p).len() + 8 + self.longest_key())
                .sum::<usize>()
    }

    /// The longest member name or form key, at its worst escaping.
    fn longest_key(&self) -> usize {
        match &self.json {
            Some(node) => node.longest_key(),
            None => 3 * self.form.iter().map(|(k, _)| k.len()).max().unwrap_or(0),
        }
    }

    /// The body for these values, written into `out` (the caller wipes it). A member or pair whose
    /// value is `{passphrase}` is left out when the passphrase is empty (an open network).
    pub fn render(&self, values: &Values<'_>, out: &mut Vec<u8>) {
        match &self.json {
            Some(node) => node.render(values, out),
            None => {
                let mut first = true;
                for (key, value) in &self.form {
                    let text = match value {
                        FormValue::Slot(Placeholder::Passphrase)
                            if values.passphrase.is_empty() =>
                        {
                            continue
                        }
                        FormValue::Slot(p) => values.text(*p),
                        FormValue::Text(t) => t,
                    };
                    if !first {
                        out.push(b'&');
                    }
                    first = false;
                    out.extend_from_slice(percent_encode(key, true).as_bytes());
                    out.push(b'=');
                    out.extend_from_slice(percent_encode(text, true).as_bytes());
                }
            }
        }
    }

    /// Reads the values back from a body this template made (the accessory's side). `None` when
    /// the body is not of this template's kind.
    pub fn read(&self, body: &[u8]) -> Option<ReadBack> {
        let mut back = ReadBack::default();
        match &self.json {
            Some(node) => {
                let value: serde_json::Value = serde_json::from_slice(body).ok()?;
                node.read(&value, &mut back);
            }
            None => {
                let text = std::str::from_utf8(body).ok()?;
                for pair in text.split('&').filter(|p| !p.is_empty()) {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    let (key, value) = (percent_decode(key)?, percent_decode(value)?);
                    for (k, v) in &self.form {
                        if *k == key {
                            if let FormValue::Slot(p) = v {
                                back.set(*p, value.clone());
                            }
                        }
                    }
                }
            }
        }
        Some(back)
    }
}

impl Node {
    fn check(&self) -> Result<(), TemplateProblem> {
        match self {
            Node::Text(t) => match placeholders_in(t).first() {
                Some((name, _)) => Err(TemplateProblem {
                    message: format!(
                        "{{{name}}} must be a whole JSON string (`\"{{{name}}}\"`), not part of one"
                    ),
                    at: Some((*name).to_owned()),
                }),
                None => Ok(()),
            },
            Node::Array(items) => items.iter().try_for_each(Node::check),
            Node::Object(members) => members.iter().try_for_each(|(_, n)| n.check()),
            _ => Ok(()),
        }
    }

    fn slots(&self, out: &mut Vec<Placeholder>) {
        match self {
            Node::Slot(p) => out.push(*p),
            Node::Array(items) => items.iter().for_each(|n| n.slots(out)),
            Node::Object(members) => members.iter().for_each(|(_, n)| n.slots(out)),
            _ => {}
        }
    }

    fn longest_key(&self) -> usize {
        match self {
            Node::Array(items) => items.iter().map(Node::longest_key).max().unwrap_or(0),
            Node::Object(members) => members
                .iter()
                .map(|(k, n)| (6 * k.len()).max(n.longest_key()))
                .max()
                .unwrap_or(0),
            _ => 0,
        }
    }

    fn uses(&self, p: Placeholder) -> bool {
        match self {
            Node::Slot(q) => *q == p,
            Node::Array(items) => items.iter().any(|n| n.uses(p)),
            Node::Object(members) => members.iter().any(|(_, n)| n.uses(p)),
            _ => false,
        }
    }

    fn render(&self, values: &Values<'_>, out: &mut Vec<u8>) {
        match self {
            Node::Null => out.extend_from_slice(b"null"),
            Node::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Node::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Node::Text(t) => json_string(t, out),
            Node::Slot(Placeholder::Hidden) => {
                out.extend_from_slice(if values.hidden { b"true" } else { b"false" })
            }
            Node::Slot(p) => json_string(values.text(*p), out),
            Node::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.render(values, out);
                }
                out.push(b']');
            }
            Node::Object(members) => {
                out.push(b'{');
                let mut first = true;
                for (key, node) in members {
                    if *node == Node::Slot(Placeholder::Passphrase) && values.passphrase.is_empty()
                    {
                        continue;
                    }
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    json_string(key, out);
                    out.push(b':');
                    node.render(values, out);
                }
                out.push(b'}');
            }
        }
    }

    fn read(&self, value: &serde_json::Value, back: &mut ReadBack) {
        match (self, value) {
            (Node::Slot(p), serde_json::Value::String(s)) => back.set(*p, s.clone()),
            (Node::Slot(p), serde_json::Value::Bool(b)) => back.set(*p, b.to_string()),
            (Node::Array(items), serde_json::Value::Array(values)) => {
                for (n, v) in items.iter().zip(values) {
                    n.read(v, back);
                }
            }
            (Node::Object(members), serde_json::Value::Object(map)) => {
                for (key, node) in members {
                    if let Some(v) = map.get(key) {
                        node.read(v, back);
                    }
                }
            }
            _ => {}
        }
    }
}

/// A JSON string literal, written by serde_json's encoder (exact escaping).
fn json_string(s: &str, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, s).expect("writing a string into a Vec cannot fail");
}

/// Percent-encoding: RFC 3986 unreserved characters stay; in a form, a space is `+` (the WHATWG
/// `application/x-www-form-urlencoded` serializer).
fn percent_encode(s: &str, form: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b'*' if form => out.push('*'),
            b' ' if form => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// The inverse of a form's percent-encoding; `None` for a bad escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
                Ok(Node::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Node, E> {
                Ok(Node::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Node, E> {
                Ok(Node::Number(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Node, E> {
                serde_json::Number::from_f64(n)
                    .map(Node::Number)
                    .ok_or_else(|| E::custom("a number JSON cannot write"))
            }
            fn visit_str<E>(self, s: &str) -> Result<Node, E> {
                Ok(match placeholders_in(s).as_slice() {
                    [(name, 0)] if s.len() == name.len() + 2 => {
                        match Placeholder::from_name(name) {
                            Some(p) => Node::Slot(p),
                            None => Node::Text(s.to_owned()),
                        }
                    }
                    _ => Node::Text(s.to_owned()),
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut members = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Node>()? {
                    members.push((k, v));
                }
                Ok(Node::Object(members))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests;
