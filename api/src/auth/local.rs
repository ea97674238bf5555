//! Local user tokens: HS256 JWTs signed by this server.
//!
//! These are the embedded default for user authentication (no Firebase project needed). The signing
//! secret comes from configuration (`OMI_AUTH_SECRET`) or from `<data_dir>/auth_secret`, which is
//! created on first start with 32 random bytes (hex) and mode 0600, so tokens stay valid across
//! restarts.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::{AuthError, LEEWAY_SECS};

/// The `iss` claim of every local token.
pub const LOCAL_ISSUER: &str = "omi-server-local";

/// Name of the secret file inside the data directory.
pub const SECRET_FILE_NAME: &str = "auth_secret";

#[derive(Debug, Serialize, Deserialize)]
struct LocalClaims {
    sub: String,
    iat: i64,
    exp: i64,
    iss: String,
}

/// Issues and verifies HS256 user tokens signed with the server's secret.
#[derive(Clone)]
pub struct LocalTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl fmt::Debug for LocalTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalTokens")
            .field("issuer", &LOCAL_ISSUER)
            .finish_non_exhaustive()
    }
}

impl LocalTokens {
    /// Builds the signer from a configured secret, or from `<data_dir>/auth_secret` (created with
    /// 32 random bytes, hex-encoded, mode 0600, if absent). An empty or blank configured secret
    /// counts as not configured.
    pub fn load_or_create(data_dir: &Path, configured_secret: Option<String>) -> io::Result<Self> {
        if let Some(secret) = configured_secret.filter(|s| !s.trim().is_empty()) {
            return Self::from_secret(secret.as_bytes());
        }
        let secret = read_or_create_secret_file(&data_dir.join(SECRET_FILE_NAME), data_dir)?;
        Self::from_secret(secret.as_bytes())
    }

    /// Builds the signer from raw secret bytes (the HMAC key); an empty secret is refused.
    pub fn from_secret(secret: &[u8]) -> io::Result<Self> {
        let invalid = |_| io::Error::new(io::ErrorKind::InvalidInput, "the auth secret is empty");
        let encoding = EncodingKey::from_secret(secret).map_err(invalid)?;
        let decoding = DecodingKey::from_secret(secret).map_err(invalid)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[LOCAL_ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation.leeway = LEEWAY_SECS;
        // Expiry is checked by hand after the signature and issuer, so that `Expired` is only
        // reported for tokens that are otherwise ours and valid.
        validation.validate_exp = false;
        Ok(Self {
            encoding,
            decoding,
            validation,
        })
    }

    /// Issues a token for `uid` valid for `ttl` from now (a negative `ttl` yields an already
    /// expired token, which is useful in tests).
    pub fn issue(&self, uid: &str, ttl: chrono::Duration) -> String {
        let now = chrono::Utc::now();
        let claims = LocalClaims {
            sub: uid.to_owned(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            iss: LOCAL_ISSUER.to_owned(),
        };
        // HMAC signing of a serializable struct has no failure mode.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with a valid key cannot fail")
    }

    /// Verifies signature, issuer and expiry; returns the uid (`sub`).
    ///
    /// Errors: [`AuthError::Expired`] for an otherwise valid token past its `exp`,
    /// [`AuthError::InvalidToken`] for anything else.
    pub fn verify(&self, token: &str) -> Result<String, AuthError> {
        let data = jsonwebtoken::decode::<LocalClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::InvalidToken,
            })?;
        let claims = data.claims;
        let now = chrono::Utc::now().timestamp();
        let leeway = LEEWAY_SECS as i64;
        if claims.sub.is_empty() || claims.iat > now + leeway {
            return Err(AuthError::InvalidToken);
        }
        if claims.exp < now - leeway {
            return Err(AuthError::Expired);
        }
        Ok(claims.sub)
    }
}

fn read_or_create_secret_file(path: &Path, data_dir: &Path) -> io::Result<String> {
    match read_secret_file(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    std::fs::create_dir_all(data_dir)?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(io::Error::other)?;
    let secret = hex::encode(bytes);
    match create_private_file(path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "created a new local auth secret");
            Ok(secret)
        }
        // Another process created it between our read and our create: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_secret_file(path),
        Err(e) => Err(e),
    }
}

fn read_secret_file(path: &Path) -> io::Result<String> {
    let content = std::fs::read_to_string(path)?;
    let secret = content.trim();
    if secret.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("auth secret file {} is empty", path.display()),
        ));
    }
    Ok(secret.to_owned())
}

fn create_private_file(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Path of the secret file for a data directory.
pub fn secret_file_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SECRET_FILE_NAME)
}

/// The issuer of OAuth states: a state is never a user token, nor a user token a state.
const OAUTH_STATE_ISSUER: &str = "omi-server-oauth-state";

#[derive(Debug, Serialize, Deserialize)]
struct StateClaims {
    sub: String,
    /// The integration key the state was issued for.
    key: String,
    /// Unique per state: a connection records it, so a state is used once.
    jti: String,
    iat: i64,
    exp: i64,
    iss: String,
}

/// What an OAuth state (spec §7.3 `oauth-url`) carries back to the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthState {
    pub uid: String,
    pub key: String,
    /// The state's unique id.
    pub nonce: String,
}

impl LocalTokens {
    /// A signed state for `uid` connecting `key`, valid for `ttl`: the server keeps nothing until the callback.
    pub fn issue_oauth_state(&self, uid: &str, key: &str, ttl: chrono::Duration) -> String {
        let now = chrono::Utc::now();
        let claims = StateClaims {
            sub: uid.to_owned(),
            key: key.to_owned(),
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            iss: OAUTH_STATE_ISSUER.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with a valid key cannot fail")
    }

    /// The state's contents when this server signed it and it has not expired.
    pub fn verify_oauth_state(&self, state: &str) -> Option<OAuthState> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[OAUTH_STATE_ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<StateClaims>(state, &self.decoding, &validation)
            .ok()?
            .claims;
        Some(OAuthState {
            uid: claims.sub,
            key: claims.key,
            nonce: claims.jti,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("omi-auth-test-{}", uuid::Uuid::new_v4()))
    }

    fn claims_of(token: &str) -> serde_json::Value {
        jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(token)
            .unwrap()
            .claims
    }

    #[test]
    fn round_trip_and_claims() {
        let tokens = LocalTokens::from_secret(b"test-secret").unwrap();
        let token = tokens.issue("user-1", chrono::Duration::hours(1));
        assert_eq!(tokens.verify(&token).unwrap(), "user-1");
        let claims = claims_of(&token);
        assert_eq!(claims["sub"], "user-1");
        assert_eq!(claims["iss"], LOCAL_ISSUER);
        let iat = claims["iat"].as_i64().unwrap();
        let exp = claims["exp"].as_i64().unwrap();
        assert_eq!(exp - iat, 3600);
        assert!((iat - chrono::Utc::now().timestamp()).abs() < 5);
    }

    #[test]
    fn expired_token_is_rejected_as_expired() {
        let tokens = LocalTokens::from_secret(b"test-secret").unwrap();
        let token = tokens.issue("user-1", chrono::Duration::hours(-1));
        assert!(matches!(tokens.verify(&token), Err(AuthError::Expired)));
    }

    #[test]
    fn tampered_and_foreign_tokens_are_rejected() {
        let tokens = LocalTokens::from_secret(b"test-secret").unwrap();
        let token = tokens.issue("user-1", chrono::Duration::hours(1));

        // Swap the payload for one naming another user, keep the signature.
        let other = tokens.issue("user-2", chrono::Duration::hours(1));
        let parts: Vec<&str> = token.split('.').collect();
        let other_parts: Vec<&str> = other.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], other_parts[1], parts[2]);
        assert!(matches!(
            tokens.verify(&forged),
            Err(AuthError::InvalidToken)
        ));

        // Flip one character of the signature.
        let mut sig: Vec<u8> = parts[2].bytes().collect();
        sig[3] = if sig[3] == b'A' { b'B' } else { b'A' };
        let bad_sig = format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            String::from_utf8(sig).unwrap()
        );
        assert!(matches!(
            tokens.verify(&bad_sig),
            Err(AuthError::InvalidToken)
        ));

        // Signed with another secret.
        let stranger = LocalTokens::from_secret(b"another-secret").unwrap();
        let token = stranger.issue("user-1", chrono::Duration::hours(1));
        assert!(matches!(
            tokens.verify(&token),
            Err(AuthError::InvalidToken)
        ));

        // Expired *and* signed with another secret is invalid, not expired.
        let token = stranger.issue("user-1", chrono::Duration::hours(-1));
        assert!(matches!(
            tokens.verify(&token),
            Err(AuthError::InvalidToken)
        ));

        assert!(matches!(
            tokens.verify("not-a-jwt"),
            Err(AuthError::InvalidToken)
        ));
    }

    #[test]
    fn wrong_issuer_is_rejected() {
        let secret = b"test-secret";
        let claims = LocalClaims {
            sub: "user-1".into(),
            iat: chrono::Utc::now().timestamp(),
            exp: chrono::Utc::now().timestamp() + 3600,
            iss: "someone-else".into(),
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret).unwrap(),
        )
        .unwrap();
        let tokens = LocalTokens::from_secret(secret).unwrap();
        assert!(matches!(
            tokens.verify(&token),
            Err(AuthError::InvalidToken)
        ));
    }

    #[test]
    fn secret_file_is_created_private_and_reused() {
        let dir = temp_dir().join("nested");
        let first = LocalTokens::load_or_create(&dir, None).unwrap();
        let path = secret_file_path(&dir);
        let content = std::fs::read_to_string(&path).unwrap();
        let secret = content.trim();
        assert_eq!(secret.len(), 64);
        assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        // A second load (a restart) reads the same secret: old tokens stay valid.
        let token = first.issue("user-1", chrono::Duration::hours(1));
        let second = LocalTokens::load_or_create(&dir, None).unwrap();
        assert_eq!(second.verify(&token).unwrap(), "user-1");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), content);

        // Another data dir gets another secret.
        let other_dir = temp_dir();
        let other = LocalTokens::load_or_create(&other_dir, None).unwrap();
        assert!(matches!(other.verify(&token), Err(AuthError::InvalidToken)));

        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
        std::fs::remove_dir_all(&other_dir).unwrap();
    }

    #[test]
    fn configured_secret_wins_and_creates_no_file() {
        let dir = temp_dir();
        let tokens = LocalTokens::load_or_create(&dir, Some("configured".into())).unwrap();
        assert!(!dir.exists());
        let token = LocalTokens::from_secret(b"configured")
            .unwrap()
            .issue("u", chrono::Duration::hours(1));
        assert_eq!(tokens.verify(&token).unwrap(), "u");

        // A blank configured secret falls back to the file.
        let _ = LocalTokens::load_or_create(&dir, Some("  ".into())).unwrap();
        assert!(secret_file_path(&dir).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn empty_secret_file_is_an_error() {
        let dir = temp_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(secret_file_path(&dir), "\n").unwrap();
        let err = LocalTokens::load_or_create(&dir, None).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn oauth_states_and_user_tokens_are_not_each_other() {
        let tokens = LocalTokens::from_secret(b"state-test-secret").unwrap();
        let state =
            tokens.issue_oauth_state("u1", "google_calendar", chrono::Duration::minutes(10));
        let read = tokens
            .verify_oauth_state(&state)
            .expect("a fresh state verifies");
        assert_eq!(
            (read.uid.as_str(), read.key.as_str()),
            ("u1", "google_calendar")
        );
        assert!(tokens.verify(&state).is_err(), "a state is no user token");
        let user = tokens.issue("u1", chrono::Duration::minutes(10));
        assert!(
            tokens.verify_oauth_state(&user).is_none(),
            "a user token is no state"
        );
        let expired = tokens.issue_oauth_state("u1", "k", chrono::Duration::seconds(-5));
        assert!(tokens.verify_oauth_state(&expired).is_none());
        let other = LocalTokens::from_secret(b"another-secret").unwrap();
        assert!(
            other.verify_oauth_state(&state).is_none(),
            "another server's state"
        );
        assert_ne!(
            tokens.issue_oauth_state("u1", "k", chrono::Duration::minutes(1)),
            tokens.issue_oauth_state("u1", "k", chrono::Duration::minutes(1)),
            "every state is unique"
        );
    }
}
