//! The secrets of API keys: generated here, shown once, stored only as SHA-256 (spec §1.3).

use omi_domain::api_key::KeyFamily;
use sha2::{Digest, Sha256};

/// A freshly generated key.
pub struct NewKey {
    /// The raw key, returned to its owner exactly once.
    pub raw: String,
    /// SHA-256 hex of the secret (the part after the prefix).
    pub hashed: String,
    /// `omi_dev_abcd...wxyz`.
    pub display_prefix: String,
}

/// Generates a key of `family`: the prefix and 32 lowercase hex characters (16 random bytes).
pub fn generate(family: KeyFamily) -> std::io::Result<NewKey> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    let secret = hex::encode(bytes);
    let raw = format!("{}{secret}", family.prefix());
    Ok(NewKey {
        display_prefix: format!(
            "{}{}...{}",
            family.prefix(),
            &secret[..4],
            &secret[secret.len() - 4..]
        ),
        hashed: hash_secret(&secret),
        raw,
    })
}

/// SHA-256 hex of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The family and secret of a presented key (`omi_dev_…`, `omi_mcp_…`), if it is one.
pub fn split(raw: &str) -> Option<(KeyFamily, &str)> {
    [KeyFamily::Developer, KeyFamily::Mcp]
        .into_iter()
        .find_map(|family| {
            raw.strip_prefix(family.prefix())
                .map(|secret| (family, secret))
        })
        .filter(|(_, secret)| !secret.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_spec_format_and_are_stored_hashed() {
        let key = generate(KeyFamily::Developer).unwrap();
        assert!(key.raw.starts_with("omi_dev_"));
        assert_eq!(key.raw.len(), "omi_dev_".len() + 32);
        assert!(key.raw["omi_dev_".len()..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        let (family, secret) = split(&key.raw).unwrap();
        assert_eq!(family, KeyFamily::Developer);
        assert_eq!(hash_secret(secret), key.hashed);
        assert!(!key.hashed.contains(secret));
        assert!(key.display_prefix.starts_with("omi_dev_") && key.display_prefix.contains("..."));
        assert_ne!(generate(KeyFamily::Developer).unwrap().raw, key.raw);
    }

    #[test]
    fn hashing_is_sha256_hex() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
