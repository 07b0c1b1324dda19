//! Index names that the cluster always accepts.
//!
//! OpenSearch and Elasticsearch index names must be lowercase, at most 255
//! bytes, must not contain `\ / * ? " < > | , #`, spaces or `:`, and must not
//! start with `-`, `_` or `+`. Log group names break every one of these rules
//! (`/aws/lambda/My_Function`), so they go through [`slug`].

use std::fmt::Write as _;

use crate::time::civil_from_days;

/// The date suffix appended to an index prefix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateSuffix {
    /// `-YYYY.MM.DD`
    #[default]
    Daily,
    /// `-YYYY.MM`
    Monthly,
    /// No suffix.
    None,
}

/// Longest prefix we produce, leaving room for a date suffix.
const MAX_PREFIX: usize = 200;

/// An index prefix plus its date suffix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexPattern {
    prefix: String,
    date: DateSuffix,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid index prefix {prefix:?}: {why}")]
pub struct InvalidIndex {
    pub prefix: String,
    pub why: &'static str,
}

impl IndexPattern {
    /// A configured prefix, which must already be a valid index name.
    pub fn new(prefix: &str, date: DateSuffix) -> Result<Self, InvalidIndex> {
        let why = if prefix.is_empty() {
            Some("it is empty")
        } else if prefix.len() > MAX_PREFIX {
            Some("it is longer than 200 bytes")
        } else if prefix.bytes().any(|b| b.is_ascii_uppercase()) {
            Some("index names must be lowercase")
        } else if prefix.starts_with(['-', '_', '+']) {
            Some("index names must not start with '-', '_' or '+'")
        } else if prefix == "." || prefix == ".." {
            Some("'.' and '..' are not index names")
        } else if prefix.chars().any(is_forbidden) {
            Some("index names must not contain \\ / * ? \" < > | , # : or whitespace")
        } else {
            None
        };
        match why {
            Some(why) => Err(InvalidIndex {
                prefix: prefix.to_owned(),
                why,
            }),
            None => Ok(IndexPattern {
                prefix: prefix.to_owned(),
                date,
            }),
        }
    }

    /// A prefix derived from arbitrary text, made valid by [`slug`].
    pub fn from_text(base: &str, text: &str, date: DateSuffix) -> Self {
        let mut prefix = String::from(base);
        let slug = slug(text);
        if !slug.is_empty() {
            prefix.push('-');
            prefix.push_str(&slug);
        }
        prefix.truncate(MAX_PREFIX);
        let trimmed = prefix.trim_end_matches(['-', '.', '_']).len();
        prefix.truncate(trimmed);
        IndexPattern { prefix, date }
    }

    /// Writes the index name for the day `days` since the epoch.
    pub fn write_name(&self, days: i64, out: &mut String) {
        out.clear();
        out.push_str(&self.prefix);
        let d = civil_from_days(days);
        // Writing to a String cannot fail.
        let _ = match self.date {
            DateSuffix::Daily => write!(out, "-{:04}.{:02}.{:02}", d.year, d.month, d.day),
            DateSuffix::Monthly => write!(out, "-{:04}.{:02}", d.year, d.month),
            DateSuffix::None => Ok(()),
        };
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The index pattern that matches every name this writes (for index
    /// templates): `prefix-*`, or the prefix alone without a date suffix.
    pub fn wildcard(&self) -> String {
        match self.date {
            DateSuffix::None => self.prefix.clone(),
            _ => format!("{}-*", self.prefix),
        }
    }
}

fn is_forbidden(c: char) -> bool {
    matches!(
        c,
        '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ',' | '#' | ':'
    ) || c.is_whitespace()
}

/// Lowercases `text` and replaces every run of characters that are not
/// `[a-z0-9._]` with one `-`, trimming separators at both ends.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    let start = out.len() - out.trim_start_matches(['-', '_', '+', '.']).len();
    out.drain(..start);
    out.truncate(MAX_PREFIX);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_valid_index_names() {
        assert_eq!(slug("/aws/lambda/My_Function"), "aws-lambda-my_function");
        assert_eq!(
            slug("API-Gateway-Execution-Logs_abc/prod"),
            "api-gateway-execution-logs_abc-prod"
        );
        assert_eq!(slug("__..weird  name##"), "weird-name");
        assert_eq!(slug("日本語/グループ"), "");
        for text in ["/a/b", "UPPER", "x:y", "-lead", "a".repeat(400).as_str()] {
            let p = IndexPattern::from_text("cwl", text, DateSuffix::Daily);
            assert!(
                IndexPattern::new(p.prefix(), DateSuffix::Daily).is_ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn date_suffixes() {
        let p = IndexPattern::from_text("cwl", "/aws/lambda/f", DateSuffix::Daily);
        let mut name = String::new();
        p.write_name(16_418, &mut name);
        assert_eq!(name, "cwl-aws-lambda-f-2014.12.14");
        let m = IndexPattern::new("flows", DateSuffix::Monthly).expect("valid");
        m.write_name(16_418, &mut name);
        assert_eq!(name, "flows-2014.12");
        let n = IndexPattern::new("flows", DateSuffix::None).expect("valid");
        n.write_name(16_418, &mut name);
        assert_eq!(name, "flows");
    }

    #[test]
    fn invalid_prefixes_are_refused() {
        for bad in ["", "Upper", "_x", "a/b", "a b", "a,b", ".."] {
            assert!(IndexPattern::new(bad, DateSuffix::Daily).is_err(), "{bad}");
        }
    }
}
