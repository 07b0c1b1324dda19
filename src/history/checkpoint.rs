//! `--checkpoint FILE`: the objects a run finished, so that the next run
//! with the same file skips them. One JSON line per object, appended (and
//! handed to the kernel) as soon as the object is done, so a crash or
//! Ctrl-C loses at most the objects in flight, which are then read again
//! (their ids make that safe). A line cut short by a crash is ignored.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::client::s3::S3Location;

#[derive(Serialize, Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    bucket: Cow<'a, str>,
    #[serde(borrow)]
    key: Cow<'a, str>,
    /// An object written again since (another ETag) is not done.
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    etag: Option<Cow<'a, str>>,
}

#[derive(Debug, thiserror::Error)]
#[error("checkpoint {path}: {source}")]
pub struct CheckpointError {
    path: PathBuf,
    source: std::io::Error,
}

#[derive(Default)]
pub struct Checkpoint {
    /// (bucket, key) → ETag of the objects done.
    done: HashMap<(String, String), Option<String>>,
    file: Option<(PathBuf, Mutex<File>)>,
}

impl Checkpoint {
    /// Reads what `path` records as done (nothing if it does not exist
    /// yet) and opens it to record more; `None` records nothing.
    pub fn open(path: Option<&Path>) -> Result<Checkpoint, CheckpointError> {
        let Some(path) = path else {
            return Ok(Checkpoint::default());
        };
        let fail = |source| CheckpointError {
            path: path.to_owned(),
            source,
        };
        let mut done = HashMap::new();
        let mut ends_in_newline = true;
        match File::open(path) {
            Ok(mut file) => {
                let len = file.metadata().map_err(fail)?.len();
                if len > 0 {
                    let mut last = [0u8];
                    file.seek(SeekFrom::End(-1)).map_err(fail)?;
                    file.read_exact(&mut last).map_err(fail)?;
                    ends_in_newline = last[0] == b'\n';
                    file.rewind().map_err(fail)?;
                }
                for line in BufReader::new(file).split(b'\n') {
                    // A line that does not read (cut short) names nothing.
                    if let Ok(entry) = serde_json::from_slice::<Line>(&line.map_err(fail)?) {
                        done.insert(
                            (entry.bucket.into_owned(), entry.key.into_owned()),
                            entry.etag.map(Cow::into_owned),
                        );
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(fail(e)),
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(fail)?;
        if !ends_in_newline {
            // Close a line a crash cut short, so the next one stands alone.
            file.write_all(b"\n").map_err(fail)?;
        }
        Ok(Checkpoint {
            done,
            file: Some((path.to_owned(), Mutex::new(file))),
        })
    }

    /// Was `object` finished by an earlier run (and not written again since)?
    pub fn is_done(&self, object: &S3Location) -> bool {
        match self.done.get(&(object.bucket.clone(), object.key.clone())) {
            None => false,
            Some(etag) => etag.is_none() || object.etag.is_none() || *etag == object.etag,
        }
    }

    pub fn len(&self) -> usize {
        self.done.len()
    }

    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }

    /// Records `object` as finished.
    pub fn record(&self, object: &S3Location) -> Result<(), CheckpointError> {
        let Some((path, file)) = &self.file else {
            return Ok(());
        };
        let line = Line {
            bucket: Cow::Borrowed(&object.bucket),
            key: Cow::Borrowed(&object.key),
            etag: object.etag.as_deref().map(Cow::Borrowed),
        };
        let mut text = serde_json::to_vec(&line).unwrap_or_default();
        text.push(b'\n');
        // One write per line on a file opened to append: lines of objects
        // finishing at once do not interleave.
        let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        file.write_all(&text).map_err(|source| CheckpointError {
            path: path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(key: &str, etag: &str) -> S3Location {
        S3Location {
            etag: Some(etag.into()),
            ..S3Location::new("b", key)
        }
    }

    #[test]
    fn a_second_run_skips_what_the_first_finished() {
        let dir = std::env::temp_dir().join(format!("lf-checkpoint-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("run.checkpoint");
        let first = Checkpoint::open(Some(&path)).expect("opens");
        assert!(first.is_empty());
        first
            .record(&object("a\nb \"c\".log", "e1"))
            .expect("recorded");
        first.record(&object("d.log", "e2")).expect("recorded");
        drop(first);
        // A crash in the middle of a line.
        let mut file = OpenOptions::new().append(true).open(&path).expect("append");
        file.write_all(b"{\"bucket\":\"b\",\"ke").expect("torn");
        drop(file);

        let second = Checkpoint::open(Some(&path)).expect("reopens");
        assert_eq!(second.len(), 2);
        assert!(second.is_done(&object("a\nb \"c\".log", "e1")));
        assert!(
            !second.is_done(&object("d.log", "e3")),
            "written again since"
        );
        assert!(!second.is_done(&object("x.log", "e1")));
        second.record(&object("x.log", "e4")).expect("recorded");
        drop(second);
        let third = Checkpoint::open(Some(&path)).expect("reopens");
        assert!(
            third.is_done(&object("x.log", "e4")),
            "the line after the torn one stands alone"
        );
        assert!(Checkpoint::open(None)
            .expect("none")
            .record(&object("a", "b"))
            .is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }
}
