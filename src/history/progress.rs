//! Progress of a long run on stderr, when stderr is a terminal: objects
//! done of those listed so far, events, bytes, rate and time left
//! (`indicatif`). Where stderr is no terminal (CI, a pipe, a log file)
//! nothing is drawn, and the JSON summary stays the last line either way.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    /// What the verb did to an object: "read", "queued".
    done_word: &'static str,
    listed_bytes: AtomicU64,
    done_bytes: AtomicU64,
    events: AtomicU64,
}

impl Progress {
    /// A bar on stderr if it is a terminal, else one that draws nothing.
    pub fn on_stderr(done_word: &'static str) -> Progress {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} objects, {msg} ({per_sec}, ETA {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        // The clock and rate move between objects too; nothing to tick
        // where nothing is drawn.
        if !bar.is_hidden() {
            bar.enable_steady_tick(Duration::from_millis(250));
        }
        Progress {
            bar,
            done_word,
            listed_bytes: AtomicU64::new(0),
            done_bytes: AtomicU64::new(0),
            events: AtomicU64::new(0),
        }
    }

    /// One more object to do, of `bytes`.
    pub fn listed(&self, bytes: u64) {
        self.listed_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.bar.inc_length(1);
        self.redraw();
    }

    /// Objects done, of `bytes` in all, that gave `events`.
    pub fn done(&self, objects: u64, bytes: u64, events: u64) {
        self.done_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.events.fetch_add(events, Ordering::Relaxed);
        self.bar.inc(objects);
        self.redraw();
    }

    fn redraw(&self) {
        if self.bar.is_hidden() {
            return;
        }
        let events = self.events.load(Ordering::Relaxed);
        let done = indicatif::HumanBytes(self.done_bytes.load(Ordering::Relaxed));
        let listed = indicatif::HumanBytes(self.listed_bytes.load(Ordering::Relaxed));
        let events = if events > 0 {
            format!("{} events, ", indicatif::HumanCount(events))
        } else {
            String::new()
        };
        self.bar
            .set_message(format!("{events}{done} of {listed} {}", self.done_word));
    }

    /// Takes the bar off the screen, before the summary is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
