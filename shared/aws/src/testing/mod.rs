//! A real HTTP receiver on `127.0.0.1:0` that records every request and answers as told:
//! a status (with headers and body), or hanging past the sender's timeout. And `faults`, an SDK
//! interceptor that fails AWS calls at a seeded rate.

pub mod calls;
pub mod faults;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::sync::Notify;

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
    /// The status answered (504 for a hang).
    pub status: u16,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the Standard Webhooks headers are a signature of this body with `secret` (`whsec_…`).
    pub fn is_signed_with(&self, secret: &str) -> bool {
        let (Ok(key), Some(id), Some(ts), Some(sig)) = (
            herald_domain::signature::StandardKey::parse(secret),
            self.header("webhook-id"),
            self.header("webhook-timestamp").and_then(|t| t.parse::<i64>().ok()),
            self.header("webhook-signature"),
        ) else {
            return false;
        };
        key.verify(id, ts, ts, &self.body, sig)
    }
}

#[derive(Clone, Debug)]
pub enum Reply {
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Never answer (until the sender gives up).
    Hang,
    /// Answer `status` after a pause, to keep requests in flight together.
    After {
        delay: Duration,
        status: u16,
    },
    /// Answer `status` to every `nth` request the receiver gets (counting all of them) and 204
    /// to the rest: a target failing one time in `nth`, reproducibly.
    FailEvery {
        nth: usize,
        status: u16,
    },
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self::Status { status, headers: Vec::new(), body: String::new() }
    }
}

struct Inner {
    requests: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Reply>>,
    default: Mutex<Reply>,
    /// Path-prefix answers that win over the default.
    routes: Mutex<Vec<(String, Reply)>>,
    arrived: Notify,
    /// Print each request to stdout (herald-local's demo receiver).
    echo: bool,
    /// Every answer waits this long, ± up to the jitter (a seeded draw): a real receiver's latency.
    latency: Mutex<Option<Latency>>,
}

#[derive(Clone, Copy, Debug)]
struct Latency {
    base: Duration,
    jitter: Duration,
    rng: u64,
}

impl Latency {
    fn draw(&mut self) -> Duration {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        // Uniform in [-jitter, +jitter], in microseconds.
        let span = self.jitter.as_micros() as u64;
        if span == 0 {
            return self.base;
        }
        let offset = (self.rng % (2 * span + 1)) as i64 - span as i64;
        Duration::from_micros((self.base.as_micros() as i64 + offset).max(0) as u64)
    }
}

pub struct Receiver {
    addr: SocketAddr,
    inner: Arc<Inner>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts on an ephemeral loopback port, answering 204 until told otherwise.
    pub async fn start() -> Self {
        Self::bind("127.0.0.1:0".parse().expect("valid address"), false).await.expect("loopback bind")
    }

    pub async fn bind(addr: SocketAddr, echo: bool) -> std::io::Result<Self> {
        let inner = Arc::new(Inner {
            requests: Mutex::default(),
            script: Mutex::default(),
            default: Mutex::new(Reply::status(204)),
            routes: Mutex::default(),
            arrived: Notify::new(),
            echo,
            latency: Mutex::new(None),
        });
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = Router::new().fallback(record).with_state(inner.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, inner, server })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The answer from now on, once the scripted ones are used up.
    pub fn reply_with(&self, reply: Reply) {
        *self.inner.default.lock().expect("lock") = reply;
    }

    /// The answer for paths starting with `prefix` from now on (after scripted ones).
    pub fn reply_for(&self, prefix: &str, reply: Reply) {
        let mut routes = self.inner.routes.lock().expect("lock");
        routes.retain(|(p, _)| p != prefix);
        routes.push((prefix.to_owned(), reply));
    }

    /// Every answer from now on waits `base` ± up to `jitter` (uniform, reproducible): a receiver
    /// such as Discord answers in 100-500 ms, which is what a delivery's Lambda time is made of.
    pub fn set_latency(&self, base: Duration, jitter: Duration) {
        let latency =
            (!base.is_zero() || !jitter.is_zero()).then_some(Latency { base, jitter, rng: 0x9E37_79B9_7F4A_7C15 });
        *self.inner.latency.lock().expect("lock") = latency;
    }

    /// Answers for the next requests, in order, before falling back to the default.
    pub fn then(&self, reply: Reply) -> &Self {
        self.inner.script.lock().expect("lock").push_back(reply);
        self
    }

    /// How many requests arrived, without copying them.
    pub fn count(&self) -> usize {
        self.inner.requests.lock().expect("lock").len()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.requests.lock().expect("lock").clone()
    }

    /// The requests whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.uri.path().starts_with(prefix)).collect()
    }

    /// Waits until at least `n` requests to `prefix` arrived, or panics after `within`.
    pub async fn wait_for(&self, prefix: &str, n: usize, within: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + within;
        loop {
            let notified = self.inner.arrived.notified();
            let got = self.requests_to(prefix);
            if got.len() >= n {
                return got;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                panic!("expected {n} requests to {prefix} within {within:?}, got {}: {got:#?}", got.len());
            }
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn record(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if inner.echo {
        println!("receiver ← {method} {uri}\n{}\n", String::from_utf8_lossy(&body));
    }
    let routed = inner
        .routes
        .lock()
        .expect("lock")
        .iter()
        .find(|(p, _)| uri.path().starts_with(p.as_str()))
        .map(|(_, r)| r.clone());
    let scripted = inner.script.lock().expect("lock").pop_front();
    let reply = scripted.or(routed).unwrap_or_else(|| inner.default.lock().expect("lock").clone());
    let reply = {
        let mut requests = inner.requests.lock().expect("lock");
        let reply = match reply {
            Reply::FailEvery { nth, status } if (requests.len() + 1) % nth.max(1) == 0 => Reply::status(status),
            Reply::FailEvery { .. } => Reply::status(204),
            other => other,
        };
        let status = match &reply {
            Reply::Status { status, .. } | Reply::After { status, .. } => *status,
            Reply::Hang | Reply::FailEvery { .. } => 504,
        };
        requests.push(Recorded { method, uri, headers, body, at: Instant::now(), status });
        reply
    };
    inner.arrived.notify_waiters();
    let wait = inner.latency.lock().expect("lock").as_mut().map(Latency::draw);
    if let Some(wait) = wait {
        tokio::time::sleep(wait).await;
    }
    match reply {
        Reply::FailEvery { .. } => unreachable!("resolved to a status above"),
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Reply::After { delay, status } => {
            tokio::time::sleep(delay).await;
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR).into_response()
        }
        Reply::Status { status, headers, body } => {
            let mut response =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), body).into_response();
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) = (k.parse::<axum::http::HeaderName>(), v.parse()) {
                    response.headers_mut().insert(k, v);
                }
            }
            response
        }
    }
}

/// A URL on a loopback port nothing listens on: connections to it are refused.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback bind");
    let addr = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{addr}/refused")
}
