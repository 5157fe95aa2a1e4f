//! Which addresses outbound IPN requests may reach: the policy, pure (the resolver
//! that applies it to names lives with the IPN worker, `jobs::ipn`).
//!
//! A partner chooses its `notifyUrl`, so without a guard the gateway could be made to
//! POST into its own private network (SSRF). Private, loopback, link-local and other
//! non-public addresses are refused unless allow-listed; sandbox mode allows loopback
//! so merchants can test IPN handlers on their own machine. IP literals are checked
//! here before a request is made (the HTTP client does not resolve them), and names
//! are checked after resolution by the IPN worker's resolver, so a name that resolves to a
//! private address is refused too.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The outbound policy.
#[derive(Clone, Debug, Default)]
pub struct OutboundGuard {
    /// Networks allowed even though not public.
    pub allow: Vec<IpNet>,
    /// Whether loopback addresses are allowed (sandbox mode).
    pub allow_loopback: bool,
}

/// Where the gateway lets merchants point IPNs, chosen once at start-up.
#[derive(Clone, Debug, Default)]
pub struct OutboundPolicy {
    /// Networks IPNs may reach although they are not public.
    pub allow: Vec<IpNet>,
    /// Merchant endpoints on this machine are targets: the sandbox, where merchants
    /// test IPN handlers on their own machine. `notifyUrl` is then taken as given
    /// at order creation, and deliveries may reach loopback addresses.
    pub local_merchants: bool,
}

impl OutboundPolicy {
    /// The guard of IPN deliveries.
    pub fn delivery_guard(&self) -> OutboundGuard {
        OutboundGuard { allow: self.allow.clone(), allow_loopback: self.local_merchants }
    }

    /// Checks an order's `notifyUrl` when the order is created: `Err` explains a
    /// refusal. Without local merchants, a destination that deliveries would refuse
    /// is refused now, when the merchant can still see why.
    pub fn check_notify_url(&self, url: &url::Url) -> Result<(), String> {
        if self.local_merchants {
            return Ok(());
        }
        OutboundGuard { allow: self.allow.clone(), allow_loopback: false }.check_url(url)
    }
}

fn normalise(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn v4_public(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 192 && o[1] == 88 && o[2] == 99)
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
        || o[0] >= 240)
}

/// IPv6 ranges that carry or embed an IPv4 address, or route nowhere: a public
/// destination in them is reached through a relay or translator that may sit in a
/// private network, so none of them is a merchant's address.
fn v6_tunnel_or_discard(s: [u16; 8]) -> bool {
    let zero = |r: std::ops::Range<usize>| s[r].iter().all(|x| *x == 0);
    zero(0..6)                                            // ::/96, IPv4-compatible
        || (zero(0..4) && s[4] == 0xffff && s[5] == 0)       // ::ffff:0:0:0/96, IPv4-translated
        || s[0] == 0x2002                                    // 2002::/16, 6to4
        || (s[0] == 0x2001 && s[1] == 0)                     // 2001::/32, Teredo
        || (s[0] == 0x0100 && zero(1..4)) // 100::/64, discard
}

fn v6_public(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_unspecified()
        || v6_tunnel_or_discard(s)
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x64 && s[1] == 0xff9b))
}

/// Whether `ip` is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match normalise(ip) {
        IpAddr::V4(v4) => v4_public(v4),
        IpAddr::V6(v6) => v6_public(v6),
    }
}

impl OutboundGuard {
    /// Whether the gateway may connect to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = normalise(ip);
        if self.allow.iter().any(|n| n.contains(&ip)) {
            return true;
        }
        if ip.is_loopback() {
            return self.allow_loopback;
        }
        is_public(ip)
    }

    /// Checks a URL whose host is an IP literal; names pass here and are checked by
    /// the resolver. `Err` explains the refusal.
    pub fn check_url(&self, url: &url::Url) -> Result<(), String> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            Some(url::Host::Domain(_)) => return Ok(()),
            None => return Err("the URL has no host".into()),
        };
        if self.permits(ip) { Ok(()) } else { Err(format!("destination {ip} is not allowed")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        let g = OutboundGuard::default();
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "ff02::1",
            "192.88.99.1",
            "::8.8.8.8",
            "::0.0.0.2",
            "::ffff:0:8.8.8.8",
            "::ffff:0:a00:1",
            "2002:808:808::1",
            "2002::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "100::1",
            "100::ffff:ffff:ffff:ffff",
        ] {
            assert!(!g.permits(ip(bad)), "{bad} must be refused");
        }
        for good in [
            "103.53.171.140",
            "8.8.8.8",
            "192.88.98.1",
            "192.88.100.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2001:4860:4860::8888",
            "2003::1",
            "100:0:0:1::1",
        ] {
            assert!(g.permits(ip(good)), "{good} must be allowed");
        }
    }

    #[test]
    fn allow_list_and_sandbox_loopback() {
        let g = OutboundGuard { allow: vec!["10.0.0.0/8".parse().expect("net")], allow_loopback: true };
        assert!(g.permits(ip("10.9.9.9")));
        assert!(g.permits(ip("127.0.0.1")));
        assert!(g.permits(ip("::1")));
        assert!(!g.permits(ip("192.168.0.1")));
        let u = url::Url::parse("http://192.168.0.1/ipn").expect("url");
        assert!(g.check_url(&u).is_err());
        let u = url::Url::parse("http://merchant.example/ipn").expect("url");
        assert!(g.check_url(&u).is_ok());
    }
}
