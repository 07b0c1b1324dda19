//! A pass-through front for an HTTP/1.1 peer such as `moto_server`: bytes
//! go both ways unchanged, and each request (method, path, body) is
//! recorded and may be held back a moment. The fault-injecting `proxy`
//! re-issues requests and keeps only an answer's status and text, which
//! S3's binary objects and headers (ETag, x-amz-bucket-region) do not
//! survive; no off-the-shelf peer here records requests, hence this one.

use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::proxy::{read_request, Seen};

/// Which requests to hold back, and for how long.
pub type Delay = Arc<dyn Fn(&Seen) -> Option<Duration> + Send + Sync>;

/// Which requests (numbered from 0) to answer here instead of the peer, and
/// how: a status and a JSON body (throttling, a partial failure).
pub type Answer = Arc<dyn Fn(usize, &Seen) -> Option<(u16, String)> + Send + Sync>;

pub struct Recorder {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    pub fn start(upstream: &str, delay: Option<Delay>) -> Recorder {
        Recorder::with(upstream, delay, None)
    }

    /// A front that answers some requests itself.
    pub fn answering(upstream: &str, answer: Answer) -> Recorder {
        Recorder::with(upstream, None, Some(answer))
    }

    fn with(upstream: &str, delay: Option<Delay>, answer: Option<Answer>) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let upstream = upstream
            .strip_prefix("http://")
            .expect("an http:// upstream")
            .trim_end_matches('/')
            .to_owned();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, log) = (upstream.clone(), log.clone());
                let (delay, answer) = (delay.clone(), answer.clone());
                thread::spawn(move || {
                    relay(client, &upstream, &log, delay.as_ref(), answer.as_ref())
                });
            }
        });
        Recorder { url, seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

fn relay(
    client: TcpStream,
    upstream: &str,
    log: &Mutex<Vec<Seen>>,
    delay: Option<&Delay>,
    answer: Option<&Answer>,
) {
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let (Ok(mut to_client), Ok(mut from_server), Ok(mut answers)) =
        (client.try_clone(), server.try_clone(), client.try_clone())
    else {
        return;
    };
    // Answers go back as they come, byte for byte.
    let back = thread::spawn(move || {
        let _ = std::io::copy(&mut from_server, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Both);
    });
    let mut reader = BufReader::new(client);
    let mut to_server = server;
    while let Some((seen, head)) = read_request(&mut reader) {
        if let Some(pause) = delay.and_then(|d| d(&seen)) {
            thread::sleep(pause);
        }
        let n = {
            let mut log = log.lock().expect("lock");
            log.push(seen.clone());
            log.len() - 1
        };
        // The client waits for each answer before its next request on a
        // connection, so an answer written here never crosses the peer's.
        if let Some((status, text)) = answer.and_then(|a| a(n, &seen)) {
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n{text}",
                text.len()
            );
            if answers.write_all(reply.as_bytes()).is_err() {
                break;
            }
            continue;
        }
        if to_server.write_all(&head).is_err() || to_server.write_all(&seen.body).is_err() {
            break;
        }
    }
    let _ = to_server.shutdown(Shutdown::Write);
    let _ = back.join();
}
