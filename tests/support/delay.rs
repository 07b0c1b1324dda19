//! A TCP relay that holds every chunk a client sends for a while before
//! passing it on: S3 "far away" (moto is on loopback), so that reading
//! objects one after the other shows. It notes when each chunk arrived: a
//! client that waits for each answer cannot send two requests less than the
//! delay apart, so two arrivals closer than that prove requests overlapped.
//! Hand-written: it is a few lines of std, and no installable peer adds
//! latency.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub struct Delay {
    pub url: String,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Delay {
    /// Relays to `upstream` (`http://host:port`), holding each chunk from a
    /// client for `delay`.
    pub fn start(upstream: &str, delay: Duration) -> Delay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let log = arrivals.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let log = log.clone();
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (c2, s2) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                thread::spawn(move || pipe(client, server, delay, Some(&log)));
                thread::spawn(move || pipe(s2, c2, Duration::ZERO, None));
            }
        });
        Delay { url, arrivals }
    }

    /// The shortest time between two chunks clients sent.
    pub fn closest_arrivals(&self) -> Option<Duration> {
        let mut times = self.arrivals.lock().expect("lock").clone();
        times.sort();
        times.windows(2).map(|w| w[1] - w[0]).min()
    }
}

fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    delay: Duration,
    arrivals: Option<&Mutex<Vec<Instant>>>,
) {
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(log) = arrivals {
            log.lock().expect("lock").push(Instant::now());
        }
        thread::sleep(delay);
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}
