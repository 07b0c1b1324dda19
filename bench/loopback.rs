//! A loopback HTTP/1.1 server for the benches, and the answer of an
//! accept-all `_bulk` endpoint. Hand-written on hyper: the benches measure
//! the forwarder, and a real cluster would measure itself.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// Serves every connection on a fresh loopback port with `handler`.
pub async fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(hyper::Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = hyper::Response<Full<Bytes>>> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let answer = handler(req);
                    async move { Ok::<_, Infallible>(answer.await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// The whole body of a request (empty if it broke off).
pub async fn body(req: hyper::Request<Incoming>) -> Bytes {
    use http_body_util::BodyExt as _;
    req.into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default()
}

/// What an accept-all cluster answers to a `_bulk` body: every item 201.
pub fn bulk_created(body: &[u8]) -> hyper::Response<Full<Bytes>> {
    let items = body.iter().filter(|&&b| b == b'\n').count() / 2;
    let mut out = String::from("{\"took\":1,\"errors\":false,\"items\":[");
    for i in 0..items {
        out.push_str(if i == 0 { "" } else { "," });
        out.push_str("{\"create\":{\"status\":201}}");
    }
    out.push_str("]}");
    hyper::Response::new(Full::new(Bytes::from(out)))
}
