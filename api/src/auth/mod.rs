//! Authentication of user requests (spec §1.1).
//!
//! User endpoints take `Authorization: Bearer <token>` where the token is a local token signed by
//! this server ([`LocalTokens`]), a Firebase ID token ([`FirebaseVerifier`], when a project is
//! configured), or `<ADMIN_KEY><uid>` (admin impersonation, when an admin key is configured).
//! Keys of the other families (`omi_dev_`, `omi_mcp_`, `sk_`) are refused with a hint naming the
//! endpoints they belong to.

mod admin_secret;
pub mod firebase;
pub mod local;

pub use admin_secret::{Admin, NOT_AUTHORIZED};

use std::fmt;
use std::path::Path;

pub use firebase::{FirebaseVerifier, DEFAULT_FIREBASE_KEYS_URL};
pub use local::{LocalTokens, OAuthState};

/// Clock skew tolerated on `exp` and `iat`, in seconds.
pub(crate) const LEEWAY_SECS: u64 = 30;

/// An API-key family that is not accepted where a user token is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    /// `omi_dev_...`: the developer API, `/v1/dev/user/*`.
    Developer,
    /// `omi_mcp_...`: the MCP API, `/v1/mcp/*`.
    Mcp,
    /// `sk_...`: app (integration) keys, `/v2/integrations/*`.
    App,
}

impl KeyFamily {
    /// The family of an API key, judged by its prefix; `None` for anything else.
    pub fn of_token(token: &str) -> Option<Self> {
        if token.starts_with("omi_dev_") {
            Some(Self::Developer)
        } else if token.starts_with("omi_mcp_") {
            Some(Self::Mcp)
        } else if token.starts_with("sk_") {
            Some(Self::App)
        } else {
            None
        }
    }

    /// The message shown when a key of this family is sent to a user endpoint.
    pub fn hint(self) -> &'static str {
        match self {
            Self::Developer => {
                "Developer API keys (omi_dev_...) are for /v1/dev/user/* endpoints; \
                 this endpoint needs a user token"
            }
            Self::Mcp => {
                "MCP API keys (omi_mcp_...) are for /v1/mcp/* endpoints; \
                 this endpoint needs a user token"
            }
            Self::App => {
                "App API keys (sk_...) are for /v2/integrations/* endpoints; \
                 this endpoint needs a user token"
            }
        }
    }
}

impl fmt::Display for KeyFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hint())
    }
}

/// Why a request could not be authenticated. Every variant is a 401 over HTTP except
/// [`AuthError::KeysUnavailable`], which the caller may prefer to answer with 503.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header, or an empty one.
    #[error("Authorization header not found")]
    MissingHeader,
    /// Wrong header shape, bad signature, wrong issuer/audience, unknown key id, ...
    #[error("Invalid authorization token")]
    InvalidToken,
    /// A valid token past its expiry. Same message as [`AuthError::InvalidToken`]; kept apart so
    /// the WebSocket layer can ask the client to refresh (close code 4001).
    #[error("Invalid authorization token")]
    Expired,
    /// An API key of another family was presented.
    #[error("{0}")]
    WrongFamily(KeyFamily),
    /// The Firebase key set could not be fetched and none is cached.
    #[error(
        "Authentication is temporarily unavailable: the token signing keys could not be fetched"
    )]
    KeysUnavailable,
}

impl AuthError {
    /// The close code for a `/v4/listen` WebSocket refused for this reason (spec §1.1):
    /// 4001 when the client should refresh its token and retry, 1008 otherwise.
    pub fn ws_close_code(&self) -> u16 {
        match self {
            Self::Expired | Self::KeysUnavailable => 4001,
            Self::MissingHeader | Self::InvalidToken | Self::WrongFamily(_) => 1008,
        }
    }
}

/// Authentication settings as read from the environment (`OMI_AUTH_SECRET`,
/// `FIREBASE_PROJECT_ID`, `FIREBASE_KEYS_URL`, `ADMIN_KEY`). Empty strings count as unset.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    pub secret: Option<String>,
    pub firebase_project_id: Option<String>,
    /// Defaults to [`DEFAULT_FIREBASE_KEYS_URL`].
    pub firebase_keys_url: Option<String>,
    pub admin_key: Option<String>,
}

/// Resolves the `Authorization` header of user endpoints to a uid.
#[derive(Clone)]
pub struct Authenticator {
    local: LocalTokens,
    firebase: Option<FirebaseVerifier>,
    admin_key: Option<String>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("local", &self.local)
            .field("firebase", &self.firebase)
            .field("admin_key", &self.admin_key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

impl Authenticator {
    /// Assembles an authenticator. An empty `admin_key` disables impersonation.
    pub fn from_parts(
        local: LocalTokens,
        firebase: Option<FirebaseVerifier>,
        admin_key: Option<String>,
    ) -> Self {
        Self {
            local,
            firebase,
            admin_key: non_empty(admin_key),
        }
    }

    /// Builds an authenticator from settings: local tokens signed with `settings.secret` or with
    /// the secret in `<data_dir>/auth_secret` (created if absent), Firebase when a project id is
    /// set, impersonation when an admin key is set.
    pub fn load(data_dir: &Path, settings: AuthSettings) -> std::io::Result<Self> {
        let local = LocalTokens::load_or_create(data_dir, non_empty(settings.secret))?;
        let firebase = non_empty(settings.firebase_project_id).map(|project| {
            let url = non_empty(settings.firebase_keys_url)
                .unwrap_or_else(|| DEFAULT_FIREBASE_KEYS_URL.to_owned());
            FirebaseVerifier::new(project.trim().to_owned(), url)
        });
        Ok(Self::from_parts(local, firebase, settings.admin_key))
    }

    /// The local token signer (for `omi-server token --uid U`).
    pub fn local(&self) -> &LocalTokens {
        &self.local
    }

    pub fn firebase(&self) -> Option<&FirebaseVerifier> {
        self.firebase.as_ref()
    }

    pub fn admin_impersonation_enabled(&self) -> bool {
        self.admin_key.is_some()
    }

    /// Authenticates a user request from its `Authorization` header value and returns the uid.
    pub async fn authenticate(
        &self,
        authorization_header: Option<&str>,
    ) -> Result<String, AuthError> {
        let header = match authorization_header {
            None | Some("") => return Err(AuthError::MissingHeader),
            Some(header) => header,
        };
        let token = bearer_token(header)?;

        if let Some(uid) = self.impersonated_uid(token) {
            return Ok(uid.to_owned());
        }
        if let Some(family) = KeyFamily::of_token(token) {
            return Err(AuthError::WrongFamily(family));
        }

        match self.local.verify(token) {
            Ok(uid) => return Ok(uid),
            // Signed by us and only expired: no point asking Firebase.
            Err(AuthError::Expired) => return Err(AuthError::Expired),
            Err(_) => {}
        }
        match &self.firebase {
            Some(firebase) => firebase.verify(token).await,
            None => Err(AuthError::InvalidToken),
        }
    }

    /// `<ADMIN_KEY><uid>` → uid, when impersonation is enabled.
    fn impersonated_uid<'t>(&self, token: &'t str) -> Option<&'t str> {
        let admin = self.admin_key.as_deref()?.as_bytes();
        let bytes = token.as_bytes();
        if bytes.len() <= admin.len() || !constant_time_eq(&bytes[..admin.len()], admin) {
            return None;
        }
        // The prefix matched byte for byte, so this index is a char boundary.
        token.get(admin.len()..)
    }
}

/// The token of `Bearer <token>`: exactly two parts separated by one space.
fn bearer_token(header: &str) -> Result<&str, AuthError> {
    let mut parts = header.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(scheme), Some(token), None)
            if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() =>
        {
            Ok(token)
        }
        _ => Err(AuthError::InvalidToken),
    }
}

/// Compares two equally long byte strings in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::firebase::test_support::*;
    use super::*;

    fn authenticator(admin_key: Option<&str>) -> Authenticator {
        Authenticator::from_parts(
            LocalTokens::from_secret(b"mod-test-secret").unwrap(),
            None,
            admin_key.map(str::to_owned),
        )
    }

    #[test]
    fn error_messages_are_the_spec_ones() {
        assert_eq!(
            AuthError::MissingHeader.to_string(),
            "Authorization header not found"
        );
        assert_eq!(
            AuthError::InvalidToken.to_string(),
            "Invalid authorization token"
        );
        assert_eq!(
            AuthError::Expired.to_string(),
            "Invalid authorization token"
        );
        assert_eq!(
            AuthError::WrongFamily(KeyFamily::Developer).to_string(),
            "Developer API keys (omi_dev_...) are for /v1/dev/user/* endpoints; \
             this endpoint needs a user token"
        );
        assert_eq!(AuthError::Expired.ws_close_code(), 4001);
        assert_eq!(AuthError::KeysUnavailable.ws_close_code(), 4001);
        assert_eq!(AuthError::InvalidToken.ws_close_code(), 1008);
    }

    #[tokio::test]
    async fn header_shapes() {
        let auth = authenticator(None);
        let token = auth.local().issue("u1", chrono::Duration::hours(1));
        assert_eq!(auth.authenticate(None).await, Err(AuthError::MissingHeader));
        assert_eq!(
            auth.authenticate(Some("")).await,
            Err(AuthError::MissingHeader)
        );
        for bad in [
            token.clone(),
            format!("Bearer  {token}"),
            format!("Bearer {token} extra"),
            format!("Basic {token}"),
            "Bearer ".to_owned(),
            "Bearer".to_owned(),
            format!(" Bearer {token}"),
        ] {
            assert_eq!(
                auth.authenticate(Some(&bad)).await,
                Err(AuthError::InvalidToken),
                "{bad:?}"
            );
        }
        assert_eq!(
            auth.authenticate(Some(&format!("Bearer {token}"))).await,
            Ok("u1".to_owned())
        );
        assert_eq!(
            auth.authenticate(Some(&format!("bearer {token}"))).await,
            Ok("u1".to_owned())
        );
    }

    #[tokio::test]
    async fn local_tokens() {
        let auth = authenticator(None);
        let valid = auth.local().issue("u2", chrono::Duration::minutes(5));
        assert_eq!(
            auth.authenticate(Some(&format!("Bearer {valid}"))).await,
            Ok("u2".to_owned())
        );
        let expired = auth.local().issue("u2", chrono::Duration::minutes(-5));
        assert_eq!(
            auth.authenticate(Some(&format!("Bearer {expired}"))).await,
            Err(AuthError::Expired)
        );
        let foreign = LocalTokens::from_secret(b"other")
            .unwrap()
            .issue("u2", chrono::Duration::hours(1));
        assert_eq!(
            auth.authenticate(Some(&format!("Bearer {foreign}"))).await,
            Err(AuthError::InvalidToken)
        );
    }

    #[tokio::test]
    async fn admin_impersonation() {
        let on = authenticator(Some("s3cr3t-admin"));
        assert!(on.admin_impersonation_enabled());
        assert_eq!(
            on.authenticate(Some("Bearer s3cr3t-adminuser-42")).await,
            Ok("user-42".to_owned())
        );
        // The key alone (nothing after it) is not a uid.
        assert_eq!(
            on.authenticate(Some("Bearer s3cr3t-admin")).await,
            Err(AuthError::InvalidToken)
        );
        // A near miss is not impersonation.
        assert_eq!(
            on.authenticate(Some("Bearer s3cr3t-admiNuser-42")).await,
            Err(AuthError::InvalidToken)
        );

        let off = authenticator(None);
        assert!(!off.admin_impersonation_enabled());
        assert_eq!(
            off.authenticate(Some("Bearer s3cr3t-adminuser-42")).await,
            Err(AuthError::InvalidToken)
        );
        // An empty configured key disables impersonation rather than matching everything.
        let empty = authenticator(Some(""));
        assert!(!empty.admin_impersonation_enabled());
        assert_eq!(
            empty.authenticate(Some("Bearer user-42")).await,
            Err(AuthError::InvalidToken)
        );
    }

    #[tokio::test]
    async fn wrong_family_hints() {
        let auth = authenticator(None);
        let cases = [
            (
                "omi_dev_0123456789abcdef0123456789abcdef",
                KeyFamily::Developer,
                "/v1/dev/user/*",
            ),
            ("omi_mcp_secret", KeyFamily::Mcp, "/v1/mcp/*"),
            ("sk_live_123", KeyFamily::App, "/v2/integrations/*"),
        ];
        for (key, family, endpoints) in cases {
            let err = auth
                .authenticate(Some(&format!("Bearer {key}")))
                .await
                .unwrap_err();
            assert_eq!(err, AuthError::WrongFamily(family));
            let message = err.to_string();
            assert!(message.contains(endpoints), "{message}");
            assert!(message.contains("needs a user token"), "{message}");
        }
        assert_eq!(KeyFamily::of_token("omi_devx"), None);
    }

    #[tokio::test]
    async fn firebase_tokens_through_the_authenticator() {
        let [a, _] = keys();
        let server = KeyServer::start(jwks(&[a])).await;
        let with_firebase = Authenticator::from_parts(
            LocalTokens::from_secret(b"mod-test-secret").unwrap(),
            Some(server.verifier()),
            None,
        );
        let id_token = a.sign(&valid_claims("fb-user"));
        let header = format!("Bearer {id_token}");
        assert_eq!(
            with_firebase.authenticate(Some(&header)).await,
            Ok("fb-user".to_owned())
        );
        // Local tokens still work alongside Firebase.
        let local = with_firebase
            .local()
            .issue("local-user", chrono::Duration::hours(1));
        assert_eq!(
            with_firebase
                .authenticate(Some(&format!("Bearer {local}")))
                .await,
            Ok("local-user".to_owned())
        );
        // Without Firebase configured, the same ID token is just invalid.
        assert_eq!(
            authenticator(None).authenticate(Some(&header)).await,
            Err(AuthError::InvalidToken)
        );

        // Key server down: a well-formed RS256 token gets KeysUnavailable, garbage stays invalid.
        let down = Authenticator::from_parts(
            LocalTokens::from_secret(b"mod-test-secret").unwrap(),
            Some(
                FirebaseVerifier::new(PROJECT.into(), dead_url().await)
                    .with_http_client(reqwest::Client::builder().no_proxy().build().unwrap()),
            ),
            None,
        );
        assert_eq!(
            down.authenticate(Some(&header)).await,
            Err(AuthError::KeysUnavailable)
        );
        assert_eq!(
            down.authenticate(Some("Bearer garbage")).await,
            Err(AuthError::InvalidToken)
        );
    }

    #[test]
    fn load_from_settings() {
        let dir = std::env::temp_dir().join(format!("omi-auth-load-{}", uuid::Uuid::new_v4()));
        let auth = Authenticator::load(
            &dir,
            AuthSettings {
                secret: Some("from-env".into()),
                firebase_project_id: Some("proj".into()),
                firebase_keys_url: Some(String::new()),
                admin_key: Some(String::new()),
            },
        )
        .unwrap();
        let firebase = auth.firebase().unwrap();
        assert_eq!(firebase.project_id(), "proj");
        assert_eq!(firebase.keys_url(), DEFAULT_FIREBASE_KEYS_URL);
        assert!(!auth.admin_impersonation_enabled());
        assert!(!dir.exists(), "a configured secret needs no secret file");
        let token = LocalTokens::from_secret(b"from-env")
            .unwrap()
            .issue("u", chrono::Duration::hours(1));
        assert_eq!(auth.local().verify(&token), Ok("u".to_owned()));

        let auth = Authenticator::load(&dir, AuthSettings::default()).unwrap();
        assert!(auth.firebase().is_none());
        assert!(local::secret_file_path(&dir).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
