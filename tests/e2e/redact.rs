//! Snapshot redaction: opaque global ids become `<Type#n>` (numbered by first appearance, so equal
//! ids stay equal), times, cursors and secrets become `[field]`.

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::Value;

const MASKED_KEYS: &[&str] = &[
    "createdAt",
    "updatedAt",
    "expiresAt",
    "lastUsedAt",
    "secret",
    "initialPassword",
    "cursor",
    "endCursor",
    "startCursor",
    "job",
];

/// The `Type` of an opaque id `base64url("<Type>:<uuid>")`, when `s` is one.
pub fn id_type(s: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (ty, rest) = text.split_once(':')?;
    (!ty.is_empty()
        && ty.chars().all(|c| c.is_ascii_alphabetic())
        && rest.len() == 36
        && rest.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
    .then(|| ty.to_owned())
}

/// A global id for `ty` with `uuid`.
pub fn make_id(ty: &str, uuid: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{ty}:{uuid}"))
}

/// A random well-formed uuid (v4 layout).
pub fn random_uuid() -> String {
    let hex: String = (0..32)
        .map(|_| char::from_digit(fastrand::u32(..16), 16).unwrap_or('0'))
        .collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

#[derive(Default)]
pub struct Redactor {
    ids: HashMap<String, String>,
    counters: HashMap<String, usize>,
}

impl Redactor {
    pub fn apply(&mut self, v: &Value) -> Value {
        match v {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if MASKED_KEYS.contains(&k.as_str()) && !v.is_null() {
                            Value::String(format!("[{k}]"))
                        } else {
                            self.apply(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.apply(v)).collect()),
            Value::String(s) => Value::String(self.string(s)),
            other => other.clone(),
        }
    }

    fn string(&mut self, s: &str) -> String {
        if s.starts_with("tsk_") {
            return "[apiKey]".to_owned();
        }
        let Some(ty) = id_type(s) else {
            return s.to_owned();
        };
        if let Some(known) = self.ids.get(s) {
            return known.clone();
        }
        let n = self.counters.entry(ty.clone()).or_insert(0);
        *n += 1;
        let label = format!("<{ty}#{n}>");
        self.ids.insert(s.to_owned(), label.clone());
        label
    }
}

pub fn redact(v: &Value) -> Value {
    Redactor::default().apply(v)
}
