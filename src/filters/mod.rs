//! Per-route filters and enrichment, between the formats and the bulk
//! encoder: which events are indexed (`drop_if`, `keep_if`), which fields
//! they lose (`drop_fields`) and gain (`add_fields`, `geoip`).
//!
//! A route's rules are compiled once, when the routes are read; a route
//! without rules costs nothing per event. Applied to each encoded document,
//! in this order: the conditions (on the fields as parsed), GeoIP (so that
//! an address can be enriched and then dropped), `drop_fields`, then
//! `add_fields` (which never overwrite a field the document has).

pub mod condition;
pub mod document;
pub mod geoip;

use std::sync::Arc;

use serde_json::{Map, Value};

pub use condition::Condition;
pub use document::Index;
pub use geoip::GeoIp;

/// The rules of one route.
#[derive(Debug, Default)]
pub struct Rules {
    drop_if: Vec<Condition>,
    /// When set, only documents meeting one of these are kept.
    keep_if: Option<Vec<Condition>>,
    /// `drop_fields` of the document's own members, and of nested ones.
    drop_top: Vec<Box<str>>,
    drop_nested: Vec<Vec<Box<str>>>,
    /// Names and rendered members (`"name":value`).
    add_fields: Vec<(Box<str>, Vec<u8>)>,
    geoip: Vec<GeoField>,
    geo: Option<Arc<GeoIp>>,
}

/// An address field to enrich: its path, the name of its enrichment
/// (`<field>_geo`) and that name rendered as a key (`"<field>_geo":`).
#[derive(Debug)]
struct GeoField {
    path: Vec<Box<str>>,
    name: [Box<str>; 1],
    key: Vec<u8>,
}

/// The rule keys of a route, as configured.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RulesConfig {
    #[serde(default)]
    pub drop_if: Option<Vec<Value>>,
    #[serde(default)]
    pub keep_if: Option<Vec<Value>>,
    #[serde(default)]
    pub drop_fields: Option<Vec<String>>,
    #[serde(default)]
    pub add_fields: Option<Map<String, Value>>,
    #[serde(default)]
    pub geoip: Option<Vec<String>>,
}

impl Rules {
    /// Compiles a route's rule keys; `None` when it has none. `geo` is the
    /// database opened from `GEOIP_DB`, which `geoip` needs.
    pub fn compile(
        config: RulesConfig,
        geo: Option<&Arc<GeoIp>>,
    ) -> Result<Option<Arc<Rules>>, String> {
        let conditions = |key: &str, specs: Vec<Value>| -> Result<Vec<Condition>, String> {
            specs
                .iter()
                .map(|s| Condition::compile(s).map_err(|e| format!("{key}: {e}")))
                .collect()
        };
        let mut rules = Rules {
            drop_if: conditions("drop_if", config.drop_if.unwrap_or_default())?,
            keep_if: config
                .keep_if
                .map(|specs| conditions("keep_if", specs))
                .transpose()?,
            ..Rules::default()
        };
        if rules.keep_if.as_ref().is_some_and(Vec::is_empty) {
            return Err("keep_if: an empty list would keep nothing".into());
        }
        for field in config.drop_fields.unwrap_or_default() {
            let mut path =
                condition::split_path(&field).map_err(|e| format!("drop_fields: {e}"))?;
            match path.len() {
                1 => rules.drop_top.extend(path.pop()),
                _ => rules.drop_nested.push(path),
            }
        }
        for (name, value) in config.add_fields.unwrap_or_default() {
            if name.is_empty() {
                return Err("add_fields: a field needs a name".into());
            }
            let mut member = crate::json::render_key(&name);
            member.extend_from_slice(value.to_string().as_bytes());
            rules.add_fields.push((name.into(), member));
        }
        let geoip = config.geoip.unwrap_or_default();
        if !geoip.is_empty() {
            let geo = geo.ok_or("geoip needs GEOIP_DB, the path of a MaxMind DB file")?;
            rules.geo = Some(geo.clone());
            for field in geoip {
                let path = condition::split_path(&field).map_err(|e| format!("geoip: {e}"))?;
                let name = format!("{field}_geo");
                let key = crate::json::render_key(&name);
                rules.geoip.push(GeoField {
                    path,
                    name: [name.into()],
                    key,
                });
            }
        }
        let empty = rules.drop_if.is_empty()
            && rules.keep_if.is_none()
            && rules.drop_top.is_empty()
            && rules.drop_nested.is_empty()
            && rules.add_fields.is_empty()
            && rules.geoip.is_empty();
        Ok((!empty).then(|| Arc::new(rules)))
    }

    /// Applies the rules to one encoded document: false if it is not to be
    /// indexed, else it is enriched and edited in place. The document is
    /// scanned once ([`Index`]); `buffers` are reused from one document
    /// to the next.
    pub fn apply(&self, doc: &mut Vec<u8>, buffers: &mut RuleBuffers) -> bool {
        buffers.index.build(doc);
        let index = &mut buffers.index;
        if self.drop_if.iter().any(|c| c.matches_indexed(doc, index)) {
            return false;
        }
        if let Some(keep) = &self.keep_if {
            if !keep.iter().any(|c| c.matches_indexed(doc, index)) {
                return false;
            }
        }
        // New members, rendered `"a":…,"b":…`, appended once at the end.
        let added = &mut buffers.added;
        added.clear();
        if let Some(geo) = &self.geo {
            for field in &self.geoip {
                if index.find(doc, &field.name).is_some() {
                    continue;
                }
                let Some(address) = index.find(doc, &field.path).and_then(|f| f.text()) else {
                    continue;
                };
                let mark = added.len();
                if !added.is_empty() {
                    added.push(b',');
                }
                added.extend_from_slice(&field.key);
                if !geo.write(&address, added) {
                    added.truncate(mark);
                }
            }
        }
        for (name, member) in &self.add_fields {
            let dropped = self.drop_top.iter().any(|d| **d == **name);
            if dropped || index.find(doc, std::slice::from_ref(name)).is_none() {
                if !added.is_empty() {
                    added.push(b',');
                }
                added.extend_from_slice(member);
            }
        }
        if !self.drop_top.is_empty() && index.copy_without(doc, &self.drop_top, &mut buffers.copy) {
            std::mem::swap(doc, &mut buffers.copy);
        }
        for path in &self.drop_nested {
            while document::remove(doc, path) {}
        }
        if !added.is_empty() {
            document::append(doc, added);
        }
        true
    }
}

/// Buffers the rules reuse from one document to the next.
#[derive(Debug, Default)]
pub struct RuleBuffers {
    index: document::Index,
    added: Vec<u8>,
    copy: Vec<u8>,
}

/// A route's rules, shared by every destination it resolves to. Equal when
/// they are the same rules (compiled once, compared by identity).
#[derive(Clone, Debug, Default)]
pub struct RuleSet(pub Option<Arc<Rules>>);

impl PartialEq for RuleSet {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl Eq for RuleSet {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(config: Value) -> Arc<Rules> {
        let config: RulesConfig = serde_json::from_value(config).expect("config");
        Rules::compile(config, None)
            .expect("valid")
            .expect("not empty")
    }

    const DOC: &str = r#"{"@timestamp":"2024-01-01T00:00:00Z","action":"ACCEPT","srcaddr":"10.0.0.1","environment":"parsed","userIdentity":{"type":"AssumedRole","sessionContext":{"x":1}}}"#;

    #[test]
    fn drop_if_and_keep_if() {
        let keeps = |config: Value| {
            rules(config).apply(&mut DOC.as_bytes().to_vec(), &mut RuleBuffers::default())
        };
        assert!(!keeps(
            json!({"drop_if": [{"field": "action", "equals": "ACCEPT"}]})
        ));
        assert!(keeps(
            json!({"drop_if": [{"field": "action", "equals": "REJECT"}]})
        ));
        assert!(keeps(
            json!({"keep_if": [{"field": "action", "equals": "REJECT"}, {"field": "srcaddr", "cidr": "10.0.0.0/8"}]})
        ));
        assert!(!keeps(
            json!({"keep_if": [{"field": "action", "equals": "REJECT"}]})
        ));
        // drop_if wins over keep_if.
        assert!(!keeps(
            json!({"keep_if": [{"field": "action", "exists": true}],
                              "drop_if": [{"field": "srcaddr", "prefix": "10."}]})
        ));
    }

    #[test]
    fn fields_are_dropped_and_added_never_overwritten() {
        let r = rules(json!({
            "drop_fields": ["userIdentity.sessionContext", "srcaddr", "nowhere", "account_alias"],
            "add_fields": {"environment": "prod", "account_alias": "payments", "tags": ["a", 1]},
        }));
        let mut doc = DOC.as_bytes().to_vec();
        assert!(r.apply(&mut doc, &mut RuleBuffers::default()));
        let edited: Value = serde_json::from_slice(&doc).expect("JSON");
        assert_eq!(
            edited,
            json!({"@timestamp": "2024-01-01T00:00:00Z", "action": "ACCEPT",
                   "environment": "parsed", "userIdentity": {"type": "AssumedRole"},
                   "account_alias": "payments", "tags": ["a", 1]})
        );
    }

    #[test]
    fn no_rules_compile_to_nothing_and_mistakes_say_where() {
        let none: RulesConfig = serde_json::from_value(json!({})).expect("config");
        assert!(Rules::compile(none, None).expect("valid").is_none());
        for (config, expect) in [
            (json!({"drop_if": [{"field": "a"}]}), "drop_if: "),
            (json!({"keep_if": []}), "keep nothing"),
            (json!({"drop_fields": ["a..b"]}), "drop_fields: "),
            (json!({"add_fields": {"": 1}}), "needs a name"),
            (json!({"geoip": ["srcaddr"]}), "GEOIP_DB"),
        ] {
            let c: RulesConfig = serde_json::from_value(config.clone()).expect("config");
            let err = Rules::compile(c, None).expect_err(&config.to_string());
            assert!(err.contains(expect), "{config}: {err}");
        }
    }
}
