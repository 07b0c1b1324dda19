//! A temporary file for bytes too many to hold in memory: a record larger
//! than the reader keeps (its whole text still goes to the dead-letter
//! destination), written as it is read, removed when dropped. In Lambda the
//! file is in `/tmp` (512 MB unless configured larger); what does not fit
//! is reported, never silently cut.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The most a spill holds: beyond it the record is reported as not kept.
pub const MAX_SPILL: u64 = 4 << 30;

/// Bytes being written to a temporary file.
pub struct Spill {
    file: Option<BufWriter<File>>,
    spilled: Spilled,
    /// Why the bytes are not all there, once writing failed.
    failed: Option<String>,
}

/// Bytes written whole to a temporary file, removed on drop.
#[derive(Debug)]
pub struct Spilled {
    path: PathBuf,
    len: u64,
}

impl Spill {
    /// A new, empty temporary file.
    pub fn create() -> io::Result<Spill> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "logs-forwarder-spill-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let file = File::options().write(true).create_new(true).open(&path)?;
        Ok(Spill {
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            spilled: Spilled { path, len: 0 },
            failed: None,
        })
    }

    /// Appends `bytes`; after a failure (a full disk, [`MAX_SPILL`]) the
    /// rest is counted but not written.
    pub fn write(&mut self, bytes: &[u8]) {
        self.spilled.len += bytes.len() as u64;
        let Some(file) = &mut self.file else { return };
        let result = if self.spilled.len > MAX_SPILL {
            Err(io::Error::other(format!("more than {MAX_SPILL} bytes")))
        } else {
            file.write_all(bytes)
        };
        if let Err(e) = result {
            self.failed = Some(e.to_string());
            self.file = None;
        }
    }

    /// The bytes, or why they could not all be kept.
    pub fn finish(mut self) -> Result<Spilled, String> {
        if let Some(mut file) = self.file.take() {
            if let Err(e) = file.flush() {
                self.failed = Some(e.to_string());
            }
        }
        match self.failed.take() {
            Some(why) => Err(format!(
                "{} bytes could not be kept in {}: {why}",
                self.spilled.len,
                std::env::temp_dir().display()
            )),
            None => Ok(std::mem::replace(
                &mut self.spilled,
                Spilled {
                    path: PathBuf::new(),
                    len: 0,
                },
            )),
        }
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        if !self.spilled.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.spilled.path);
        }
    }
}

impl Spilled {
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for Spilled {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_kept_whole_and_removed_on_drop() {
        let mut spill = Spill::create().expect("temp file");
        spill.write(b"hello, ");
        spill.write(b"world");
        let spilled = spill.finish().expect("kept");
        assert_eq!(spilled.len(), 12);
        assert_eq!(
            std::fs::read(spilled.path()).expect("read"),
            b"hello, world"
        );
        let path = spilled.path().to_owned();
        drop(spilled);
        assert!(!path.exists(), "removed");
        let abandoned = Spill::create().expect("temp file");
        let path = abandoned.spilled.path.clone();
        drop(abandoned);
        assert!(!path.exists(), "an unfinished spill is removed too");
    }
}
