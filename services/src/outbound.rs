//! The guard of every request the server makes on an app's behalf (setup checks, webhooks, manifests): only
//! `http(s)` URLs whose host resolves to public addresses, unless the setting `OMI_WEBHOOK_ALLOW_PRIVATE=1`
//! lets loopback and private networks through (tests, a receiver on the same machine). Redirects are not
//! followed, so a public URL cannot send the request on to a private one.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use reqwest::Url;
use serde_json::Value;

/// Why an outbound request was not made or gave nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("not an http(s) URL: {0}")]
    InvalidUrl(String),
    #[error("the host {0} does not resolve")]
    Unresolvable(String),
    #[error("the host resolves to a loopback or private address ({0})")]
    PrivateAddress(IpAddr),
    #[error("the request failed: {0}")]
    Failed(String),
    #[error("the answer was status {0}")]
    Status(u16),
    #[error("the answer is not JSON")]
    NotJson,
}

/// Makes outbound requests within the guard.
#[derive(Debug, Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
}

impl Outbound {
    /// A client whose requests time out after `timeout`; `allow_private` lifts the address guard.
    pub fn new(allow_private: bool, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            client,
            allow_private,
        }
    }

    /// `url` parsed, when it is `http(s)` and (unless private addresses are allowed) every address its host
    /// resolves to is public.
    pub async fn permitted(&self, url: &str) -> Result<Url, OutboundError> {
        let parsed = Url::parse(url).map_err(|_| OutboundError::InvalidUrl(url.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(OutboundError::InvalidUrl(url.to_string()));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| OutboundError::InvalidUrl(url.to_string()))?
            .to_string();
        if self.allow_private {
            return Ok(parsed);
        }
        let port = parsed.port_or_known_default().unwrap_or(80);
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<IpAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|_| OutboundError::Unresolvable(host.clone()))?
                .map(|address| address.ip())
                .collect(),
        };
        if addresses.is_empty() {
            return Err(OutboundError::Unresolvable(host));
        }
        match addresses.into_iter().find(|ip| !is_public(*ip)) {
            Some(private) => Err(OutboundError::PrivateAddress(private)),
            None => Ok(parsed),
        }
    }

    /// `GET url` within the guard; the JSON of a 200 answer.
    pub async fn get_json(&self, url: Url) -> Result<Value, OutboundError> {
        let url = self.permitted(url.as_str()).await?;
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| OutboundError::Failed(e.without_url().to_string()))?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(OutboundError::Status(response.status().as_u16()));
        }
        response.json().await.map_err(|_| OutboundError::NotJson)
    }
}

/// The most bytes of an answer read for its JSON.
const MAX_ANSWER_BYTES: usize = 1 << 20;

impl Outbound {
    /// Calls an app's tool within the guard: `GET` with `arguments` (an object) in the query, any other method
    /// with them as a JSON body; the JSON of a 2xx answer (at most 1 MiB).
    pub async fn call_json(
        &self,
        method: &str,
        url: &str,
        arguments: &Value,
    ) -> Result<Value, OutboundError> {
        let mut url = self.permitted(url).await?;
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| OutboundError::Failed(format!("unknown method {method}")))?;
        let request = if method == reqwest::Method::GET {
            if let Some(fields) = arguments.as_object() {
                let mut query = url.query_pairs_mut();
                for (name, value) in fields {
                    let value = match value {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    query.append_pair(name, &value);
                }
            }
            self.client.get(url)
        } else {
            self.client.request(method, url).json(arguments)
        };
        let mut response = request
            .send()
            .await
            .map_err(|e| OutboundError::Failed(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(OutboundError::Status(response.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| OutboundError::Failed(e.without_url().to_string()))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_ANSWER_BYTES {
                return Err(OutboundError::Failed("the answer is too large".into()));
            }
        }
        serde_json::from_slice(&body).map_err(|_| OutboundError::NotJson)
    }
}

/// Whether `ip` is a public unicast address: not loopback, private, link-local, shared (CGNAT), unspecified,
/// broadcast, multicast, documentation or otherwise reserved, in IPv4, IPv6 and IPv4 mapped into IPv6. Every
/// outbound request made for a user or an app (setup checks here, webhook deliveries in [`crate::webhooks`]) is
/// checked with it on the addresses its host resolves to, so that a URL cannot make the server call into its own
/// network.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        // Shared address space (RFC 6598), the benchmarking range (RFC 2544), IETF protocol assignments.
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || (a == 192 && b == 0 && ip.octets()[2] == 0))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local (fc00::/7), link-local (fe80::/10) and the old site-local range (fec0::/10).
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // Documentation (2001:db8::/32).
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_private_and_link_local_addresses_are_not_public() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "192.0.0.8",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "fec0::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(address.parse().unwrap()), "{address}");
        }
        for address in ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"] {
            assert!(is_public(address.parse().unwrap()), "{address}");
        }
    }

    #[tokio::test]
    async fn private_hosts_are_refused_unless_allowed() {
        let guarded = Outbound::new(false, Duration::from_secs(1));
        assert_eq!(
            guarded.permitted("http://127.0.0.1:9/setup").await,
            Err(OutboundError::PrivateAddress("127.0.0.1".parse().unwrap()))
        );
        assert!(matches!(
            guarded.permitted("http://localhost/setup").await,
            Err(OutboundError::PrivateAddress(_))
        ));
        assert!(matches!(
            guarded.permitted("ftp://example.com/x").await,
            Err(OutboundError::InvalidUrl(_))
        ));
        let open = Outbound::new(true, Duration::from_secs(1));
        assert!(open.permitted("http://127.0.0.1:9/setup").await.is_ok());
    }
}
