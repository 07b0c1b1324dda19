//! Conditions on a document's fields: `{"field": NAME, OP: VALUE}` with OP
//! one of `equals`, `in`, `prefix`, `cidr`, `exists`.
//!
//! Compiled once when the routes are read (paths split, networks parsed,
//! `in` lists hashed), then tested against each encoded document with
//! [`super::document::find`]. Values compare by meaning rather than by JSON
//! type, because the same field is a number in one format and text in
//! another: `{"equals": 22}` matches `22` and `"22"`, `{"equals": "22"}`
//! too. A field holding a list matches when any element does.

use std::collections::HashSet;
use std::net::IpAddr;

use serde_json::Value;

use super::document::{self, Found, Index};

/// A compiled condition.
#[derive(Debug)]
pub struct Condition(Node);

#[derive(Debug)]
enum Node {
    /// `{"field": NAME, OP: VALUE}`.
    Field { path: Vec<Box<str>>, test: Test },
    /// `{"all": [conditions]}`: every one holds (the lists of `drop_if` and
    /// `keep_if` are "any"), e.g. an accepted flow between private hosts.
    All(Vec<Node>),
    /// `{"not": condition}`.
    Not(Box<Node>),
}

#[derive(Debug)]
enum Test {
    /// `equals` (one value) and `in` (any of several).
    OneOf(Scalars),
    Prefix(Vec<Box<str>>),
    Cidr(Vec<Network>),
    Exists(bool),
}

#[derive(Debug, Default)]
struct Scalars {
    strings: HashSet<Box<str>>,
    numbers: Vec<f64>,
}

impl Scalars {
    fn add(&mut self, value: &Value) -> Result<(), String> {
        match value {
            Value::String(s) => {
                if let Ok(n) = s.parse::<f64>() {
                    self.numbers.push(n);
                }
                self.strings.insert(s.as_str().into());
            }
            Value::Number(n) => {
                self.numbers.push(n.as_f64().unwrap_or(f64::NAN));
                self.strings.insert(n.to_string().into());
            }
            Value::Bool(b) => {
                self.strings.insert(b.to_string().into());
            }
            other => {
                return Err(format!(
                    "compares with strings, numbers or booleans, not {other}"
                ))
            }
        }
        Ok(())
    }

    fn matches(&self, text: &str) -> bool {
        self.strings.contains(text)
            || (!self.numbers.is_empty()
                && text.parse::<f64>().is_ok_and(|n| self.numbers.contains(&n)))
    }
}

/// An IPv4 or IPv6 network, `10.0.0.0/8` or `2001:db8::/32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    bits: u128,
    /// Prefix length counted in the 128-bit form (IPv4 lives in the last 32).
    prefix: u32,
}

impl Network {
    pub fn parse(text: &str) -> Result<Network, String> {
        let (addr, len) = match text.split_once('/') {
            Some((addr, len)) => (addr, Some(len)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an IP network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len: u32 = match len {
            None => max,
            Some(len) => len
                .parse()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| format!("{text:?}: prefix length over {max}"))?,
        };
        let prefix = len + (128 - max);
        Ok(Network {
            bits: to_bits(addr) & mask(prefix),
            prefix,
        })
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        to_bits(addr) & mask(self.prefix) == self.bits
    }
}

/// IPv4 (and IPv4-mapped IPv6) addresses as `::ffff:a.b.c.d`, so that one
/// comparison serves both families.
fn to_bits(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn mask(prefix: u32) -> u128 {
    match prefix {
        0 => 0,
        p => u128::MAX << (128 - p),
    }
}

impl Condition {
    /// Compiles `{"field": NAME, OP: VALUE}`, `{"all": [...]}` or `{"not": ...}`.
    pub fn compile(spec: &Value) -> Result<Condition, String> {
        Node::compile(spec).map(Condition)
    }

    /// Does the document `doc` (encoded JSON) meet the condition?
    pub fn matches(&self, doc: &[u8]) -> bool {
        let mut index = Index::default();
        index.build(doc);
        self.matches_indexed(doc, &mut index)
    }

    /// [`Condition::matches`] with the document's members already indexed.
    pub fn matches_indexed(&self, doc: &[u8], index: &mut Index) -> bool {
        self.0.matches(doc, index)
    }
}

impl Node {
    fn compile(spec: &Value) -> Result<Node, String> {
        let object = spec
            .as_object()
            .ok_or_else(|| format!("a condition is an object, not {spec}"))?;
        match (object.get("all"), object.get("not"), object.len()) {
            (Some(Value::Array(all)), None, 1) if !all.is_empty() => {
                return Ok(Node::All(
                    all.iter().map(Node::compile).collect::<Result<_, _>>()?,
                ))
            }
            (Some(_), None, 1) => return Err("\"all\" takes a non-empty list of conditions".into()),
            (None, Some(not), 1) => return Ok(Node::Not(Box::new(Node::compile(not)?))),
            (None, None, _) => {}
            _ => return Err(format!("{spec}: \"all\" and \"not\" stand alone")),
        }
        let field = object
            .get("field")
            .and_then(Value::as_str)
            .filter(|f| !f.is_empty())
            .ok_or("a condition needs \"field\": the name of a document field")?;
        let path = split_path(field)?;
        let ops: Vec<(&String, &Value)> = object.iter().filter(|(k, _)| *k != "field").collect();
        let [(op, value)] = ops.as_slice() else {
            return Err(format!(
                "condition on {field:?} needs exactly one of equals, in, prefix, cidr, exists"
            ));
        };
        let list = |value: &Value| -> Vec<Value> {
            match value {
                Value::Array(items) => items.clone(),
                single => vec![single.clone()],
            }
        };
        let strings = |value: &Value| -> Result<Vec<String>, String> {
            list(value)
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    other => Err(format!("{op} on {field:?} takes strings, not {other}")),
                })
                .collect()
        };
        let test = match op.as_str() {
            "equals" => {
                let mut scalars = Scalars::default();
                scalars
                    .add(value)
                    .map_err(|e| format!("equals on {field:?} {e}"))?;
                Test::OneOf(scalars)
            }
            "in" => {
                let Value::Array(items) = value else {
                    return Err(format!("in on {field:?} takes a list, not {value}"));
                };
                let mut scalars = Scalars::default();
                for item in items {
                    scalars
                        .add(item)
                        .map_err(|e| format!("in on {field:?} {e}"))?;
                }
                Test::OneOf(scalars)
            }
            "prefix" => Test::Prefix(strings(value)?.into_iter().map(Into::into).collect()),
            "cidr" => Test::Cidr(
                strings(value)?
                    .iter()
                    .map(|n| Network::parse(n).map_err(|e| format!("cidr on {field:?}: {e}")))
                    .collect::<Result<_, _>>()?,
            ),
            "exists" => Test::Exists(
                value
                    .as_bool()
                    .ok_or_else(|| format!("exists on {field:?} takes true or false"))?,
            ),
            other => {
                return Err(format!(
                    "unknown operator {other:?} (equals, in, prefix, cidr, exists)"
                ))
            }
        };
        Ok(Node::Field { path, test })
    }

    fn matches(&self, doc: &[u8], index: &mut Index) -> bool {
        let (path, test) = match self {
            Node::Field { path, test } => (path, test),
            Node::All(all) => return all.iter().all(|c| c.matches(doc, index)),
            Node::Not(inner) => return !inner.matches(doc, index),
        };
        let found = index.find(doc, path);
        match (test, found) {
            (Test::Exists(wanted), found) => *wanted == !matches!(found, None | Some(Found::Null)),
            (_, None | Some(Found::Null)) => false,
            (test, Some(Found::Array(items))) => {
                document::elements(items).any(|item| test.matches_value(item))
            }
            (test, Some(value)) => test.matches_value(value),
        }
    }
}

impl Test {
    fn matches_value(&self, value: Found<'_>) -> bool {
        let Some(text) = value.text() else {
            return false;
        };
        match self {
            Test::OneOf(scalars) => scalars.matches(&text),
            Test::Prefix(prefixes) => prefixes.iter().any(|p| text.starts_with(&**p)),
            Test::Cidr(networks) => text
                .parse::<IpAddr>()
                .is_ok_and(|addr| networks.iter().any(|n| n.contains(addr))),
            Test::Exists(_) => true,
        }
    }
}

/// `userIdentity.type` → `["userIdentity", "type"]`.
pub fn split_path(field: &str) -> Result<Vec<Box<str>>, String> {
    let path: Vec<Box<str>> = field.split('.').map(Into::into).collect();
    if path.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "{field:?} is not a field name (empty part between dots)"
        ));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FLOW: &str = r#"{"@timestamp":"2024-01-01T00:00:00Z","srcaddr":"10.1.2.3","dstaddr":"2001:db8::7","dstport":22,"action":"ACCEPT","account_id":"012345678901","tags":["a","prod"],"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/monitoring/x"},"gone":null}"#;

    fn check(spec: Value) -> bool {
        Condition::compile(&spec)
            .unwrap_or_else(|e| panic!("{spec}: {e}"))
            .matches(FLOW.as_bytes())
    }

    #[test]
    fn each_operator_on_each_kind_of_field() {
        for (spec, expected) in [
            (json!({"field": "action", "equals": "ACCEPT"}), true),
            (json!({"field": "action", "equals": "REJECT"}), false),
            (json!({"field": "dstport", "equals": 22}), true),
            (json!({"field": "dstport", "equals": "22"}), true),
            (json!({"field": "dstport", "equals": 22.0}), true),
            (json!({"field": "dstport", "equals": 23}), false),
            (
                json!({"field": "account_id", "equals": "012345678901"}),
                true,
            ),
            (
                json!({"field": "account_id", "equals": 12345678901_u64}),
                true,
            ),
            (json!({"field": "dstport", "in": [80, 443, 22]}), true),
            (json!({"field": "dstport", "in": ["80", "443"]}), false),
            (json!({"field": "action", "in": ["REJECT", "ACCEPT"]}), true),
            (
                json!({"field": "userIdentity.type", "equals": "AssumedRole"}),
                true,
            ),
            (
                json!({"field": "userIdentity.type", "in": ["Root", "IAMUser"]}),
                false,
            ),
            (
                json!({"field": "userIdentity.arn", "prefix": "arn:aws:sts::1:assumed-role/monitoring/"}),
                true,
            ),
            (
                json!({"field": "userIdentity.arn", "prefix": ["x", "arn:aws:iam"]}),
                false,
            ),
            (json!({"field": "srcaddr", "cidr": "10.0.0.0/8"}), true),
            (
                json!({"field": "srcaddr", "cidr": ["192.168.0.0/16", "172.16.0.0/12"]}),
                false,
            ),
            (json!({"field": "srcaddr", "cidr": "10.1.2.3"}), true),
            (json!({"field": "dstaddr", "cidr": "2001:db8::/32"}), true),
            (json!({"field": "dstaddr", "cidr": "10.0.0.0/8"}), false),
            (
                json!({"field": "srcaddr", "cidr": "::ffff:10.0.0.0/104"}),
                true,
            ),
            (json!({"field": "action", "cidr": "0.0.0.0/0"}), false),
            (json!({"field": "tags", "equals": "prod"}), true),
            (json!({"field": "tags", "prefix": "pr"}), true),
            (json!({"field": "tags", "equals": "dev"}), false),
            (json!({"field": "srcaddr", "exists": true}), true),
            (json!({"field": "gone", "exists": true}), false),
            (json!({"field": "gone", "exists": false}), true),
            (json!({"field": "nowhere", "exists": false}), true),
            (
                json!({"field": "userIdentity.nowhere", "exists": true}),
                false,
            ),
            (json!({"field": "nowhere", "equals": "x"}), false),
            (json!({"field": "userIdentity", "equals": "x"}), false),
            (
                json!({"all": [{"field": "action", "equals": "ACCEPT"},
                            {"field": "srcaddr", "cidr": "10.0.0.0/8"}]}),
                true,
            ),
            (
                json!({"all": [{"field": "action", "equals": "ACCEPT"},
                            {"field": "dstaddr", "cidr": "10.0.0.0/8"}]}),
                false,
            ),
            (
                json!({"not": {"field": "action", "equals": "ACCEPT"}}),
                false,
            ),
            (
                json!({"not": {"all": [{"field": "gone", "exists": true}]}}),
                true,
            ),
        ] {
            assert_eq!(check(spec.clone()), expected, "{spec}");
        }
    }

    #[test]
    fn mistakes_are_refused_with_the_reason() {
        for (spec, expect) in [
            (json!({"equals": "x"}), "needs \"field\""),
            (json!({"field": "a"}), "exactly one"),
            (
                json!({"field": "a", "equals": 1, "prefix": "x"}),
                "exactly one",
            ),
            (json!({"field": "a", "like": "x"}), "unknown operator"),
            (json!({"field": "a", "in": "x"}), "takes a list"),
            (json!({"field": "a", "equals": {"o": 1}}), "not {"),
            (
                json!({"field": "a", "cidr": "10.0.0.0/33"}),
                "prefix length",
            ),
            (json!({"field": "a", "cidr": "ten"}), "not an IP network"),
            (json!({"field": "a", "prefix": 1}), "takes strings"),
            (json!({"field": "a", "exists": "yes"}), "true or false"),
            (json!({"field": "a..b", "exists": true}), "empty part"),
            (json!("a"), "is an object"),
            (json!({"all": []}), "non-empty list"),
            (json!({"all": [{"field": "a"}]}), "exactly one"),
            (
                json!({"not": {"field": "a", "equals": 1}, "field": "b"}),
                "stand alone",
            ),
        ] {
            let err = Condition::compile(&spec).expect_err(&spec.to_string());
            assert!(err.contains(expect), "{spec}: {err}");
        }
    }
}
