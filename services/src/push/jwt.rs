//! The signed JSON Web Token a service account trades for an OAuth 2.0 access token (RFC 7523, RS256).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::json;

/// An RSA private key read from its PKCS #8 PEM form (`-----BEGIN PRIVATE KEY-----`).
pub(crate) struct SigningKey(RsaKeyPair);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(<secret>)")
    }
}

impl SigningKey {
    /// The key in `pem`, or why it is not an RSA PKCS #8 key.
    pub(crate) fn from_pem(pem: &str) -> Result<SigningKey, String> {
        let body: String = pem
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("-----"))
            .collect();
        if !pem.contains("-----BEGIN PRIVATE KEY-----") {
            return Err("the private key is not a PKCS #8 PEM (BEGIN PRIVATE KEY)".into());
        }
        let der = STANDARD
            .decode(body)
            .map_err(|error| format!("the private key is not base64: {error}"))?;
        RsaKeyPair::from_pkcs8(&der)
            .map(SigningKey)
            .map_err(|error| format!("the private key is not an RSA key: {error}"))
    }

    /// `header.claims.signature`, each part base64url without padding.
    pub(crate) fn assertion(
        &self,
        key_id: Option<&str>,
        issuer: &str,
        scope: &str,
        audience: &str,
        issued_at: i64,
        lifetime_secs: i64,
    ) -> Result<String, String> {
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = key_id {
            header["kid"] = json!(kid);
        }
        let claims = json!({
            "iss": issuer,
            "scope": scope,
            "aud": audience,
            "iat": issued_at,
            "exp": issued_at + lifetime_secs,
        });
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signed.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "signing the assertion failed".to_string())?;
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

#[cfg(test)]
mod tests {
    use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

    use super::*;

    const KEY: &str = include_str!("../../../tests/fixtures/push/test-service-account-key.pem");
    const PUBLIC: &str =
        include_str!("../../../tests/fixtures/push/test-service-account-public.pem");

    fn public_der() -> Vec<u8> {
        let body: String = PUBLIC
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        STANDARD.decode(body).unwrap()
    }

    #[test]
    fn the_assertion_is_signed_by_the_key_and_names_its_claims() {
        let key = SigningKey::from_pem(KEY).unwrap();
        let jwt = key
            .assertion(
                Some("k1"),
                "svc@p.iam",
                "scope-a",
                "http://token",
                1_000,
                3_600,
            )
            .unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_der())
            .verify(signed.as_bytes(), &signature)
            .expect("the signature verifies with the public key");
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header, json!({"alg": "RS256", "typ": "JWT", "kid": "k1"}));
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            claims,
            json!({"iss": "svc@p.iam", "scope": "scope-a", "aud": "http://token", "iat": 1000, "exp": 4600})
        );
        // Tampered claims do not verify.
        let tampered = format!("{}.{}", parts[0], URL_SAFE_NO_PAD.encode("{}"));
        assert!(
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_der())
                .verify(tampered.as_bytes(), &signature)
                .is_err()
        );
    }

    #[test]
    fn keys_that_are_not_pkcs8_rsa_are_refused() {
        assert!(SigningKey::from_pem(
            "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----"
        )
        .is_err());
        assert!(SigningKey::from_pem(PUBLIC).is_err());
    }
}
