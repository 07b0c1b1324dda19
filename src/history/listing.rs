//! Listing what a backfill reads: every object under `s3://bucket/prefix`
//! that the selection takes, page by page (ListObjectsV2), into a bounded
//! channel, so that a prefix of millions of keys is worked on while it is
//! still being listed and never held whole.
//!
//! With `--since` / `--until`, the prefix is walked folder by folder
//! (delimiter `/`) and folders whose date (`2024/`, `2024/11/`, `year=2024/`)
//! lies outside the selection are never listed: ninety days of CloudTrail
//! in a bucket of years costs the folders of those days, not the years.

use tokio::sync::mpsc;

use super::checkpoint::Checkpoint;
use super::select::{folder_days, Coverage, Selection};
use crate::client::s3::{check_bucket, S3Client, S3Error, S3Location};

/// `s3://bucket/prefix` on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub prefix: String,
}

impl std::str::FromStr for S3Url {
    type Err = String;
    fn from_str(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{url:?} is not s3://bucket/prefix"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        check_bucket(bucket)?;
        Ok(S3Url {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// What a listing found.
#[derive(Debug, Default)]
pub struct Listed {
    /// Objects the selection took, and their bytes.
    pub objects: u64,
    pub bytes: u64,
    /// Of the objects selected, those the checkpoint says are done.
    pub already_done: u64,
    /// ListObjectsV2 requests made.
    pub requests: u64,
    /// Why the listing stopped early, if it did (what it found before
    /// was worked on all the same).
    pub error: Option<String>,
}

/// Lists every object of `url` the selection takes and the checkpoint does
/// not name, in key order, into `tx`; `seen` is told of each. Stops early
/// if the receiver went away, or at an error (in [`Listed::error`]).
pub async fn list(
    s3: &S3Client,
    url: &S3Url,
    selection: &Selection,
    checkpoint: &Checkpoint,
    tx: &mpsc::Sender<S3Location>,
    seen: &(dyn Fn(&S3Location) + Sync),
) -> Listed {
    let mut listed = Listed::default();
    let walked: Result<(), S3Error> = async {
        let region = s3.bucket_region(&url.bucket).await;
        // Folders still to list, the next on top; `true` lists level by level.
        let mut folders = vec![(url.prefix.clone(), selection.has_days())];
        while let Some((prefix, by_level)) = folders.pop() {
            let delimiter = by_level.then_some("/");
            let mut continuation: Option<String> = None;
            let mut below = Vec::new();
            loop {
                let page = s3
                    .list_objects(
                        &url.bucket,
                        region.as_deref(),
                        &prefix,
                        delimiter,
                        continuation.as_deref(),
                    )
                    .await?;
                listed.requests += 1;
                for mut object in page.objects {
                    // Folder markers (the console's `logs/`) hold nothing.
                    if object.key.ends_with('/') {
                        continue;
                    }
                    let relative = object.key.strip_prefix(&url.prefix).unwrap_or(&object.key);
                    if !selection.takes(relative, &object) {
                        continue;
                    }
                    listed.objects += 1;
                    listed.bytes += object.size.unwrap_or(0);
                    if checkpoint.is_done(&object) {
                        listed.already_done += 1;
                        continue;
                    }
                    object.region.clone_from(&region);
                    seen(&object);
                    if tx.send(object).await.is_err() {
                        return Ok(());
                    }
                }
                for folder in page.prefixes {
                    match folder_days(&folder).map(|days| selection.covers(days)) {
                        Some(Coverage::None) => {}
                        Some(Coverage::Whole) => below.push((folder, false)),
                        Some(Coverage::Part) | None => below.push((folder, true)),
                    }
                }
                continuation = page.next;
                if continuation.is_none() {
                    break;
                }
            }
            // Depth first, in key order.
            folders.extend(below.into_iter().rev());
        }
        Ok(())
    }
    .await;
    if let Err(e) = walked {
        listed.error = Some(format!("listing {url}: {e}"));
    }
    listed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls() {
        assert_eq!(
            "s3://logs-1/AWSLogs/1/".parse::<S3Url>(),
            Ok(S3Url {
                bucket: "logs-1".into(),
                prefix: "AWSLogs/1/".into()
            })
        );
        assert_eq!(
            "s3://logs-1".parse::<S3Url>().map(|u| u.prefix),
            Ok(String::new())
        );
        assert!("logs-1/x".parse::<S3Url>().is_err());
        assert!("s3://evil.com:80/x".parse::<S3Url>().is_err());
        assert_eq!(
            "s3://b-1/a b".parse::<S3Url>().map(|u| u.to_string()),
            Ok("s3://b-1/a b".into())
        );
    }
}
