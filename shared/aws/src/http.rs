//! The `Sender` on reqwest: rustls, one pooled client per process, no redirects, the SSRF guard
//! in the resolver (so the connection goes to the address that was checked, with no second lookup).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::netguard::AddressPolicy;
use herald_app::ports::Sender;
use herald_domain::activity::without_controls;
use herald_domain::outcome::{DeliveryOutcome, rejects_payload};
use herald_domain::request::{OutboundRequest, USER_AGENT, redact_url};
use herald_domain::retry_after;

/// How much of a failing response we keep for the error report.
const SNIPPET_BYTES: usize = 1024;
pub const MIN_RETRY_AFTER: Duration = Duration::from_secs(1);
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

struct GuardedResolver {
    policy: Arc<AddressPolicy>,
    /// The configured proxy's host: reqwest resolves it through this resolver too, and it is the
    /// operator's choice, not a target's, so it is not held to the policy (targets still are).
    proxy_host: Option<String>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let is_proxy = self.proxy_host.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(name.as_str()));
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if is_proxy {
                return Ok(Box::new(resolved.into_iter()) as Addrs);
            }
            let mut refusal = None;
            let allowed: Vec<SocketAddr> =
                resolved.into_iter().filter(|a| policy.check(a.ip()).map_err(|e| refusal = Some(e)).is_ok()).collect();
            if allowed.is_empty() {
                let why = refusal.unwrap_or_else(|| format!("{host} did not resolve"));
                return Err(why.into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

pub struct HttpSender {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    /// With a proxy, the proxy resolves the target: Herald resolves and checks it first.
    proxied: bool,
}

impl HttpSender {
    /// `proxy`: the only proxy used. The environment's `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY`
    /// are ignored: through them a request would leave without its host ever being checked.
    pub fn new(policy: AddressPolicy, proxy: Option<url::Url>) -> Result<Self, reqwest::Error> {
        let policy = Arc::new(policy);
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(GuardedResolver {
                policy: policy.clone(),
                proxy_host: proxy.as_ref().and_then(|p| p.host_str()).map(str::to_owned),
            })
            .user_agent(USER_AGENT)
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(60))
            .no_proxy();
        let builder = match &proxy {
            Some(url) => builder.proxy(reqwest::Proxy::all(url.as_str())?),
            None => builder,
        };
        Ok(Self { client: builder.build()?, policy, proxied: proxy.is_some() })
    }

    /// The target's host resolved and every address checked, for requests a proxy will resolve.
    async fn check_host(&self, url: &url::Url) -> Result<(), String> {
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
        let port = url.port_or_known_default().unwrap_or(443);
        let resolved: Vec<SocketAddr> =
            tokio::net::lookup_host((host, port)).await.map_err(|e| format!("{host} did not resolve: {e}"))?.collect();
        if resolved.is_empty() {
            return Err(format!("{host} did not resolve"));
        }
        // All of them: the proxy may pick any.
        resolved.iter().try_for_each(|a| self.policy.check(a.ip()))
    }
}

#[async_trait]
impl Sender for HttpSender {
    async fn send(&self, request: &OutboundRequest, timeout: Duration) -> DeliveryOutcome {
        let started = Instant::now();
        let failed = |status, error: String| DeliveryOutcome::Failed {
            status,
            error,
            response: None,
            elapsed: started.elapsed(),
        };
        // An IP literal never reaches the resolver, so it is checked here.
        if let Some(ip) = request.url.host_str().and_then(|h| h.trim_matches(['[', ']']).parse().ok())
            && let Err(why) = self.policy.check(ip)
        {
            return failed(None, why);
        }
        if self.proxied
            && let Err(why) = self.check_host(&request.url).await
        {
            return failed(None, why);
        }
        let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes()).expect("known methods");
        let mut builder = self.client.request(method, request.url.clone()).timeout(timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body.clone());
        }
        let mut response = match builder.send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return failed(None, format!("timed out after {} ms", timeout.as_millis())),
            // The library refused to build this request (a URL or header it cannot send): this
            // delivery's content, not the receiver, so it must not hold the target.
            Err(e) if e.is_builder() => {
                return DeliveryOutcome::Rejected {
                    status: None,
                    error: format!("could not build the request: {}", describe(&e, &request.url)),
                    response: None,
                    elapsed: started.elapsed(),
                };
            }
            Err(e) => return failed(None, describe(&e, &request.url)),
        };
        let status = response.status().as_u16();
        if response.status().is_success() {
            return DeliveryOutcome::Delivered { status, elapsed: started.elapsed() };
        }
        let retry_after =
            response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut snippet = Vec::new();
        while snippet.len() < SNIPPET_BYTES {
            match tokio::time::timeout(timeout, response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    snippet.extend_from_slice(&chunk[..chunk.len().min(SNIPPET_BYTES - snippet.len())])
                }
                _ => break,
            }
        }
        // Kept in the target's state and its rejected list, shown by the page and printed by the CLI.
        let snippet = without_controls(String::from_utf8_lossy(&snippet).trim()).into_owned();
        if status == 429 {
            let wait = retry_after
                .as_deref()
                .and_then(|v| retry_after::parse(v, chrono::Utc::now()))
                .or_else(|| retry_after::from_body(&snippet));
            return DeliveryOutcome::Throttled { retry_after: wait.map(clamp_retry_after), elapsed: started.elapsed() };
        }
        let reason = response.status().canonical_reason().unwrap_or("");
        if rejects_payload(status) {
            return DeliveryOutcome::Rejected {
                status: Some(status),
                error: format!("HTTP {status} {reason}").trim_end().to_owned(),
                response: (!snippet.is_empty()).then_some(snippet),
                elapsed: started.elapsed(),
            };
        }
        let error = match (snippet.is_empty(), status) {
            (_, 300..=399) => format!("HTTP {status} {reason}: redirects are not followed; use the final URL"),
            (true, _) => format!("HTTP {status} {reason}"),
            (false, _) => format!("HTTP {status} {reason}: {snippet}"),
        };
        DeliveryOutcome::Failed {
            status: Some(status),
            error,
            response: (!snippet.is_empty()).then_some(snippet),
            elapsed: started.elapsed(),
        }
    }
}

/// The innermost cause, which is where our own refusal and the OS's "connection refused" live.
fn describe(error: &reqwest::Error, url: &url::Url) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let target = redact_url(url.as_str());
    if error.is_connect() {
        format!("could not connect to {target}: {cause}")
    } else {
        format!("request to {target} failed: {cause}")
    }
}

pub fn clamp_retry_after(wait: Duration) -> Duration {
    wait.clamp(MIN_RETRY_AFTER, MAX_RETRY_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_clamped() {
        assert_eq!(clamp_retry_after(Duration::ZERO), MIN_RETRY_AFTER);
        assert_eq!(clamp_retry_after(Duration::from_secs(86_400)), MAX_RETRY_AFTER);
    }
}
