//! Which objects of a listing a backfill takes: those whose day lies in
//! `--since` ..= `--until` (the day in the key where AWS's layout writes
//! one, else the day of `LastModified`), that match an `--include` pattern
//! if any is given, and no `--exclude` pattern.

use crate::client::s3::S3Location;

/// Days are counted from 1970-01-01 (UTC), as `time::day_number` does.
pub type Day = i64;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub since: Option<Day>,
    pub until: Option<Day>,
    /// Patterns over the key below the listed prefix: `*` is any run of
    /// characters (`/` included, as in the AWS CLI's filters), `?` one.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// How much of a subtree of days a selection wants.
#[derive(Debug, PartialEq, Eq)]
pub enum Coverage {
    /// No day of it: not listed at all.
    None,
    /// Some days: listed level by level, to leave the others out.
    Part,
    /// Every day: listed flat.
    Whole,
}

impl Selection {
    pub fn has_days(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// Does the selection take `object`, whose key below the listed prefix
    /// is `relative`?
    pub fn takes(&self, relative: &str, object: &S3Location) -> bool {
        let day =
            key_day(&object.key).or_else(|| object.event_time_ms.map(crate::time::day_number));
        let in_days = match day {
            Some(day) => self.since.is_none_or(|s| day >= s) && self.until.is_none_or(|u| day <= u),
            // Neither a day in its key nor a LastModified: only an
            // unbounded selection takes it.
            None => !self.has_days(),
        };
        in_days
            && (self.include.is_empty() || self.include.iter().any(|p| wildcard(p, relative)))
            && !self.exclude.iter().any(|p| wildcard(p, relative))
    }

    /// How much of the days `first ..= last` the selection wants.
    pub fn covers(&self, (first, last): (Day, Day)) -> Coverage {
        let since = self.since.unwrap_or(Day::MIN);
        let until = self.until.unwrap_or(Day::MAX);
        if last < since || first > until {
            Coverage::None
        } else if first >= since && last <= until {
            Coverage::Whole
        } else {
            Coverage::Part
        }
    }
}

/// `YYYY-MM-DD`, or `N` days before `today` written `Nd` (`--since 90d`).
pub fn parse_day(text: &str, today: Day) -> Result<Day, String> {
    if let Some(days) = text.strip_suffix('d') {
        return days
            .parse::<u32>()
            .map(|n| today - Day::from(n))
            .map_err(|_| format!("{text:?} is not YYYY-MM-DD or a number of days (90d)"));
    }
    let mut parts = text.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!(
            "{text:?} is not YYYY-MM-DD or a number of days (90d)"
        ));
    };
    let date = (y.len() == 4 && m.len() == 2 && d.len() == 2)
        .then(|| date_day(y, m, d))
        .flatten();
    date.ok_or_else(|| format!("{text:?} is not a valid date (YYYY-MM-DD)"))
}

/// The day of a key in one of AWS's layouts: `…/YYYY/MM/DD/…` (CloudTrail,
/// flow logs, load balancers, WAF, Firehose, dead letters; AWS Config
/// writes `YYYY/M/D`), Hive-style `year=YYYY/month=MM/day=DD` (flow logs'
/// Parquet layout), or a file name holding `YYYY-MM-DD` (S3 server access
/// logs, CloudFront) or `YYYYMMDDT` (CloudTrail's names).
pub fn key_day(key: &str) -> Option<Day> {
    let segments: Vec<&str> = key.split('/').collect();
    let folders = &segments[..segments.len().saturating_sub(1)];
    for i in 0..folders.len().saturating_sub(2) {
        if let Some(day) = folder_day(&folders[i..i + 3]) {
            return Some(day);
        }
    }
    let name = segments.last().copied().unwrap_or_default();
    name_day(name)
}

/// The days a listed folder (`…/2025/`, `…/2025/11/`, `…/year=2025/month=11/`)
/// holds, by the date its last segments write.
pub fn folder_days(prefix: &str) -> Option<(Day, Day)> {
    let segments: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
    let n = segments.len();
    if n >= 3 {
        if let Some(day) = folder_day(&segments[n - 3..]) {
            return Some((day, day));
        }
    }
    if n >= 2 {
        if let (Some(y), Some(m)) = (year(segments[n - 2]), month(segments[n - 1])) {
            let first = crate::time::days_from_civil(y, m, 1);
            let next = if m == 12 {
                crate::time::days_from_civil(y + 1, 1, 1)
            } else {
                crate::time::days_from_civil(y, m + 1, 1)
            };
            return Some((first, next - 1));
        }
    }
    let y = year(segments[n - 1])?;
    Some((
        crate::time::days_from_civil(y, 1, 1),
        crate::time::days_from_civil(y, 12, 31),
    ))
}

/// `[year, month, day]` folders, plain or Hive-style.
fn folder_day(three: &[&str]) -> Option<Day> {
    let y = year(three[0])?;
    let m = month(three[1])?;
    let d = number(three[2].strip_prefix("day=").unwrap_or(three[2]), 1..=2)?;
    valid_day(y, m, d)
}

fn year(segment: &str) -> Option<i64> {
    let y = number(segment.strip_prefix("year=").unwrap_or(segment), 4..=4)?;
    // Four digits that are no plausible year are some other folder.
    (1990..=2200).contains(&y).then_some(i64::from(y))
}

fn month(segment: &str) -> Option<u32> {
    let m = number(segment.strip_prefix("month=").unwrap_or(segment), 1..=2)?;
    (1..=12).contains(&m).then_some(m)
}

fn number(text: &str, digits: std::ops::RangeInclusive<usize>) -> Option<u32> {
    (digits.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn valid_day(y: i64, m: u32, d: u32) -> Option<Day> {
    let day = crate::time::days_from_civil(y, m, d);
    // A day past its month's end lands in the next month: not a date.
    let back = crate::time::civil_from_days(day);
    (i64::from(back.year) == y && u32::from(back.month) == m && u32::from(back.day) == d)
        .then_some(day)
}

fn date_day(y: &str, m: &str, d: &str) -> Option<Day> {
    let y = year(y)?;
    valid_day(y, number(m, 2..=2)?, number(d, 2..=2)?)
}

/// `YYYY-MM-DD` or `YYYYMMDDT` in a file name, the first that is a date.
fn name_day(name: &str) -> Option<Day> {
    let bytes = name.as_bytes();
    let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let boundary = |i: usize| i == 0 || !bytes[i - 1].is_ascii_digit();
    for i in 0..bytes.len() {
        if !boundary(i) || !(0..4).all(|k| digit(i + k)) {
            continue;
        }
        let dashed = bytes.get(i + 4) == Some(&b'-')
            && bytes.get(i + 7) == Some(&b'-')
            && [5, 6, 8, 9].iter().all(|&k| digit(i + k))
            && !digit(i + 10);
        if dashed {
            if let Some(day) = date_day(&name[i..i + 4], &name[i + 5..i + 7], &name[i + 8..i + 10])
            {
                return Some(day);
            }
        }
        let compact = (4..8).all(|k| digit(i + k)) && bytes.get(i + 8) == Some(&b'T');
        if compact {
            if let Some(day) = date_day(&name[i..i + 4], &name[i + 4..i + 6], &name[i + 6..i + 8]) {
                return Some(day);
            }
        }
    }
    None
}

/// Does `pattern` (`*` any run of characters, `?` one) match all of `text`?
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it now stands for.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last `*` take one more character.
                Some((sp, st)) => {
                    star = Some((sp, st + 1));
                    pi = sp + 1;
                    ti = st + 1;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::days_from_civil as day;

    #[test]
    fn days_in_awss_key_layouts() {
        let d = day(2025, 11, 22);
        for key in [
            "AWSLogs/111122223333/CloudTrail/eu-west-1/2025/11/22/111122223333_CloudTrail_eu-west-1_20251122T0830Z_x.json.gz",
            "AWSLogs/111122223333/vpcflowlogs/eu-west-1/2025/11/22/fl.log.gz",
            "AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2025/month=11/day=22/hour=08/fl.log.gz",
            "AWSLogs/111122223333/Config/eu-west-1/2025/11/22/ConfigHistory/x.json.gz",
            "logs/2025-11-22-08-26-40-ABCDEF0123456789",
            "cf/E2EXAMPLE.2025-11-22-08.abcd1234.gz",
            "firehose/2025/11/22/08/stream-1-2025-11-22-08-00-00-uuid",
            "cloudtrail/111122223333_CloudTrail_eu-west-1_20251122T0830Z_x.json.gz",
        ] {
            assert_eq!(key_day(key), Some(d), "{key}");
        }
        // AWS Config writes months and days without a leading zero.
        assert_eq!(
            key_day("AWSLogs/1/Config/us-east-1/2016/9/3/ConfigSnapshot/x.json.gz"),
            Some(day(2016, 9, 3))
        );
        for key in [
            "AWSLogs/111122223333/2025/13/22/x",
            "a/2025/02/30/x",
            "plain.log",
            "a/1234/5/6/x",
            "x-2025-11-221.log",
            "",
        ] {
            assert_eq!(key_day(key), None, "{key}");
        }
    }

    #[test]
    fn folders_hold_a_year_a_month_or_a_day() {
        assert_eq!(
            folder_days("AWSLogs/1/CloudTrail/eu-west-1/2024/"),
            Some((day(2024, 1, 1), day(2024, 12, 31)))
        );
        assert_eq!(
            folder_days("x/2024/02/"),
            Some((day(2024, 2, 1), day(2024, 2, 29)))
        );
        assert_eq!(
            folder_days("x/year=2024/month=12/day=31/"),
            Some((day(2024, 12, 31), day(2024, 12, 31)))
        );
        assert_eq!(folder_days("AWSLogs/111122223333/"), None);
        assert_eq!(folder_days("x/12/"), None);
        let selection = Selection {
            since: Some(day(2024, 2, 10)),
            until: Some(day(2024, 3, 31)),
            ..Selection::default()
        };
        assert_eq!(
            selection.covers((day(2024, 1, 1), day(2024, 1, 31))),
            Coverage::None
        );
        assert_eq!(
            selection.covers((day(2024, 2, 1), day(2024, 2, 29))),
            Coverage::Part
        );
        assert_eq!(
            selection.covers((day(2024, 3, 1), day(2024, 3, 31))),
            Coverage::Whole
        );
    }

    #[test]
    fn since_and_until_are_dates_or_days_back() {
        let today = day(2026, 12, 6);
        assert_eq!(parse_day("2026-03-01", today), Ok(day(2026, 3, 1)));
        assert_eq!(parse_day("90d", today), Ok(today - 90));
        assert_eq!(parse_day("0d", today), Ok(today));
        for bad in [
            "2026-3-1",
            "2026-02-30",
            "yesterday",
            "d",
            "-5d",
            "2026-03-01T00:00",
        ] {
            assert!(parse_day(bad, today).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_without_a_day_go_by_last_modified() {
        let selection = Selection {
            since: Some(day(2025, 11, 22)),
            until: Some(day(2025, 11, 22)),
            ..Selection::default()
        };
        let object = |key: &str, modified: Option<i64>| S3Location {
            event_time_ms: modified,
            ..S3Location::new("b", key)
        };
        let nov_22 = day(2025, 11, 22) * 86_400_000 + 3_600_000;
        let nov_23 = nov_22 + 86_400_000;
        assert!(selection.takes("app.log", &object("app.log", Some(nov_22))));
        assert!(!selection.takes("app.log", &object("app.log", Some(nov_23))));
        assert!(!selection.takes("app.log", &object("app.log", None)));
        // The key's day wins over when the object was written.
        let keyed = object("x/2025/11/22/a.log", Some(nov_23));
        assert!(selection.takes("x/2025/11/22/a.log", &keyed));
        assert!(Selection::default().takes("a", &object("a", None)));
    }

    #[test]
    fn include_and_exclude_patterns() {
        let selection = Selection {
            include: vec!["*.gz".into(), "eu-west-1/*".into()],
            exclude: vec![
                "*CloudTrail-Digest*".into(),
                "eu-west-1/2025/??/01/*".into(),
            ],
            ..Selection::default()
        };
        let object = S3Location::new("b", "");
        let takes = |key: &str| selection.takes(key, &object);
        assert!(takes("us-east-1/2025/11/22/a.json.gz"));
        assert!(takes("eu-west-1/2025/11/22/a.log"));
        assert!(!takes("us-east-1/2025/11/22/a.log"));
        assert!(!takes("AWSLogs/1/CloudTrail-Digest/x.json.gz"));
        assert!(!takes("eu-west-1/2025/11/01/a.log"));
        assert!(wildcard("*", ""));
        assert!(wildcard("a*b*c", "axxbyyc"));
        assert!(!wildcard("a*b*c", "axxbyy"));
        assert!(wildcard("é?", "éü"));
    }
}
