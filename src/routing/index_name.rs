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
    /// `-GGGG.WW`: ISO 8601 week-numbering year and week (weeks start on
    /// Monday; the first week holds the year's first Thursday).
    Weekly,
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
            DateSuffix::Weekly => {
                let (year, week) = iso_week(days);
                write!(out, "-{year:04}.{week:02}")
            }
            DateSuffix::Monthly => write!(out, "-{:04}.{:02}", d.year, d.month),
            DateSuffix::None => Ok(()),
        };
    }

    pub fn date(&self) -> DateSuffix {
        self.date
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

/// The ISO 8601 week-numbering year and week of the day `days` since the
/// epoch (1970-01-01 was a Thursday).
pub fn iso_week(days: i64) -> (i64, i64) {
    let weekday = (days + 3).rem_euclid(7); // Monday = 0
    let thursday = days - weekday + 3;
    let year = i64::from(civil_from_days(thursday).year);
    let week = (thursday - crate::time::days_from_civil(year, 1, 1)) / 7 + 1;
    (year, week)
}

/// The first day (Monday) of ISO week `week` of `year`.
pub fn iso_week_start(year: i64, week: i64) -> i64 {
    let jan4 = crate::time::days_from_civil(year, 1, 4);
    let monday_of_week1 = jan4 - (jan4 + 3).rem_euclid(7);
    monday_of_week1 + (week - 1) * 7
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
        let w = IndexPattern::new("flows", DateSuffix::Weekly).expect("valid");
        w.write_name(16_418, &mut name);
        assert_eq!(name, "flows-2014.50", "Sunday 2014-12-14 ends week 50");
        let n = IndexPattern::new("flows", DateSuffix::None).expect("valid");
        n.write_name(16_418, &mut name);
        assert_eq!(name, "flows");
    }

    #[test]
    fn iso_weeks_at_year_boundaries() {
        use crate::time::days_from_civil;
        for ((y, m, d), expected) in [
            ((2014, 12, 29), (2015, 1)), // Monday: week 1 of 2015
            ((2015, 1, 1), (2015, 1)),
            ((2016, 1, 3), (2015, 53)), // Sunday: 2015 has 53 weeks
            ((2016, 1, 4), (2016, 1)),
            ((2020, 12, 31), (2020, 53)),
            ((2021, 1, 1), (2020, 53)),
            ((2024, 12, 30), (2025, 1)),
            ((2026, 12, 1), (2026, 49)),
            ((1969, 12, 29), (1970, 1)),
        ] {
            let day = days_from_civil(y, m, d);
            assert_eq!(iso_week(day), expected, "{y}-{m}-{d}");
            let start = iso_week_start(expected.0, expected.1);
            assert!(start <= day && day < start + 7, "{y}-{m}-{d}");
            assert_eq!((start + 3).rem_euclid(7), 0, "weeks start on Monday");
        }
    }

    #[test]
    fn invalid_prefixes_are_refused() {
        for bad in ["", "Upper", "_x", "a/b", "a b", "a,b", ".."] {
            assert!(IndexPattern::new(bad, DateSuffix::Daily).is_err(), "{bad}");
        }
    }
}
