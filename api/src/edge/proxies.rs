//! The client's address. `X-Forwarded-For` is anyone's to write, so it is read only when
//! the connection comes from a configured proxy, and then from the right: the nearest
//! address no trusted proxy vouches for is the client.

use axum::http::HeaderMap;
use std::net::IpAddr;

/// Addresses and CIDR blocks of the proxies in front of the API (`TRUSTED_PROXIES`).
#[derive(Debug, Default, Clone)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

/// A `TRUSTED_PROXIES` entry that is not an address or a CIDR block.
#[derive(Debug, thiserror::Error)]
#[error("TRUSTED_PROXIES: “{0}” is not an IP address or a CIDR block such as 10.0.0.0/8")]
pub struct BadProxy(pub String);

impl TrustedProxies {
    pub fn parse(entries: &[String]) -> Result<Self, BadProxy> {
        let mut blocks = Vec::new();
        for entry in entries {
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (entry.as_str(), None),
            };
            let addr: IpAddr = addr.trim().parse().map_err(|_| BadProxy(entry.clone()))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| BadProxy(entry.clone()))?,
                None => max,
            };
            blocks.push((addr, bits));
        }
        Ok(Self(blocks))
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0
            .iter()
            .any(|(block, bits)| contains(canonical(*block), *bits, ip))
    }

    /// The client's address: the peer itself unless it is a trusted proxy, else the
    /// rightmost `X-Forwarded-For` hop that is not one.
    pub fn client(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map_while(|hop| hop.trim().parse::<IpAddr>().ok())
            .collect();
        hops.iter()
            .rev()
            .find(|hop| !self.trusts(**hop))
            .or(hops.first())
            .copied()
            .or(Some(peer))
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn contains(block: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (block, ip) {
        (IpAddr::V4(b), IpAddr::V4(i)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(b) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(b), IpAddr::V6(i)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(b) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", value.parse().unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let proxies = TrustedProxies::default();
        assert_eq!(
            proxies.client(&xff("1.2.3.4"), Some(ip("203.0.113.9"))),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let proxies =
            TrustedProxies::parse(&["10.0.0.0/8".to_owned(), "192.0.2.1".to_owned()]).unwrap();
        // The client forged the first hop; the proxies appended the real one.
        let h = xff("6.6.6.6, 198.51.100.7, 10.1.2.3");
        assert_eq!(
            proxies.client(&h, Some(ip("192.0.2.1"))),
            Some(ip("198.51.100.7"))
        );
        // Only proxies: the leftmost hop.
        let h = xff("10.0.0.5, 10.0.0.6");
        assert_eq!(
            proxies.client(&h, Some(ip("10.9.9.9"))),
            Some(ip("10.0.0.5"))
        );
        // A trusted peer with no header is the client itself.
        assert_eq!(
            proxies.client(&HeaderMap::new(), Some(ip("10.0.0.1"))),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn blocks_and_mapped_addresses_match() {
        let proxies =
            TrustedProxies::parse(&["127.0.0.1".to_owned(), "fd00::/8".to_owned()]).unwrap();
        assert!(proxies.trusts(ip("::ffff:127.0.0.1")));
        assert!(proxies.trusts(ip("fd12::1")));
        assert!(!proxies.trusts(ip("127.0.0.2")));
        assert!(TrustedProxies::parse(&["10.0.0.0/33".to_owned()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.local".to_owned()]).is_err());
    }
}
