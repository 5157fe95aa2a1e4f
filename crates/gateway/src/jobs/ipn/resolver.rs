//! The DNS resolver of IPN deliveries: it applies the outbound policy
//! ([`OutboundGuard`]) to the addresses a name resolves to, so a merchant's name that
//! resolves to a private address is refused like an IP literal would be.

use crate::domain::outbound::OutboundGuard;
use std::net::SocketAddr;
use std::sync::Arc;

/// A DNS resolver that drops every address the guard refuses.
#[derive(Clone, Debug)]
pub struct GuardedResolver(pub Arc<OutboundGuard>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs.into_iter().filter(|a| guard.permits(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no allowed address").into());
            }
            let it: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(it)
        })
    }
}
