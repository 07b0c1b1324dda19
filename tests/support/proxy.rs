//! A small HTTP/1.1 front of our own between the forwarder and the cluster:
//! it records every request (method, path, headers, body size) and can
//! inject faults. No off-the-shelf peer here does both, which is why it is
//! hand-written; it forwards everything else to a real `osmem-server`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body_len: usize,
    pub body: Vec<u8>,
}

impl Seen {
    /// Is this a `_bulk` request?
    pub fn is_bulk(&self) -> bool {
        self.path.starts_with("/_bulk")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Decides the fate of request number `n` (0-based): `None` forwards it,
/// `Some((status, body))` answers in place of the cluster, except for the
/// three pseudo-statuses below.
pub type Fault = Arc<dyn Fn(usize, &Seen) -> Option<(u16, String)> + Send + Sync>;

/// Close the connection without forwarding or answering.
pub const CUT: u16 = 0;
/// Forward the request, then close the connection without answering: the
/// cluster did the work, the client never hears of it.
pub const CUT_AFTER: u16 = 2;
/// Answer nothing for three seconds (past the client's timeout), then close.
pub const STALL: u16 = 1;

pub struct Proxy {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    pub fn start(upstream: &str, fault: Option<Fault>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let upstream = upstream.to_owned();
        let log = seen.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (upstream, log, fault) = (upstream.clone(), log.clone(), fault.clone());
                thread::spawn(move || serve(stream, &upstream, &log, fault.as_ref()));
            }
        });
        Proxy { url, seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// The `_bulk` requests seen so far, in order.
    pub fn bulk_requests(&self) -> Vec<Seen> {
        self.requests().into_iter().filter(Seen::is_bulk).collect()
    }
}

fn serve(stream: TcpStream, upstream: &str, log: &Mutex<Vec<Seen>>, fault: Option<&Fault>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    while let Some((seen, _)) = read_request(&mut reader) {
        let n = {
            let mut log = log.lock().expect("lock");
            log.push(seen.clone());
            log.len() - 1
        };
        let (status, answer) = match fault.and_then(|f| f(n, &seen)) {
            Some((CUT, _)) => return,
            Some((CUT_AFTER, _)) => {
                forward(upstream, &seen);
                return;
            }
            Some((STALL, _)) => {
                thread::sleep(std::time::Duration::from_secs(3));
                return;
            }
            Some(injected) => injected,
            None => forward(upstream, &seen),
        };
        let reply = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// The next HTTP/1.1 request on a connection (bodies by `content-length`),
/// and its head as it came; `None` at the end of the connection.
pub fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(Seen, Vec<u8>)> {
    let mut head = Vec::new();
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    head.extend_from_slice(line.as_bytes());
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return None;
        }
        head.extend_from_slice(h.as_bytes());
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0usize);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    let seen = Seen {
        method,
        path,
        headers,
        body_len: len,
        body,
    };
    Some((seen, head))
}

fn forward(upstream: &str, seen: &Seen) -> (u16, String) {
    let Seen {
        method,
        path,
        headers,
        body,
        ..
    } = seen;
    let mut req = ureq::request(method, &format!("{upstream}{path}"));
    for (k, v) in headers {
        let k = k.to_ascii_lowercase();
        if matches!(k.as_str(), "content-type" | "content-encoding") {
            req = req.set(&k, v);
        }
    }
    let result = if body.is_empty() {
        req.call()
    } else {
        req.send_bytes(body)
    };
    match result {
        Ok(resp) => (resp.status(), resp.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, resp)) => (code, resp.into_string().unwrap_or_default()),
        Err(e) => (502, format!("{{\"error\":\"proxy: {e}\"}}")),
    }
}
