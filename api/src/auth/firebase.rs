//! Firebase ID token verification (RS256).
//!
//! The public keys come from a configurable URL that serves either a JWKS
//! (`{"keys":[{"kid","n","e","kty":"RSA"}]}`) or Google's x509 map (`{"<kid>": "-----BEGIN
//! CERTIFICATE-----..."}`); the format is detected from the body. Keys are cached for the
//! response's `Cache-Control: max-age` (1 h when absent), refetched when a token names an unknown
//! `kid` (at most once per [`DEFAULT_MIN_REFETCH_INTERVAL`]), and kept when a refetch fails.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::{AuthError, LEEWAY_SECS};

/// Google's x509 certificates for Firebase ID tokens.
pub const DEFAULT_FIREBASE_KEYS_URL: &str =
    "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com";

/// How long keys are cached when the response has no `Cache-Control: max-age`.
pub const DEFAULT_KEYS_MAX_AGE: Duration = Duration::from_secs(3600);

/// Upper bound on how long a key set is trusted without asking again.
const MAX_KEYS_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// Minimum time between two fetch attempts (unknown kid, stale cache or failed fetch).
pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(5);

/// Firebase limits uids to 128 characters.
const MAX_UID_LEN: usize = 128;

type KeySet = HashMap<String, DecodingKey>;

#[derive(Deserialize)]
struct FirebaseClaims {
    sub: String,
    iat: i64,
    exp: i64,
}

#[derive(Default)]
struct CacheState {
    keys: Option<Arc<KeySet>>,
    fresh_until: Option<Instant>,
    last_attempt: Option<Instant>,
}

#[derive(Default)]
struct Cache {
    state: Mutex<CacheState>,
    /// Held while fetching, so that concurrent requests wait for one fetch instead of each
    /// starting their own.
    fetch_lock: tokio::sync::Mutex<()>,
}

/// Verifies Firebase ID tokens for one project. Cloning is cheap and shares the key cache.
#[derive(Clone)]
pub struct FirebaseVerifier {
    project_id: String,
    keys_url: String,
    client: reqwest::Client,
    min_refetch_interval: Duration,
    validation: Validation,
    cache: Arc<Cache>,
}

impl fmt::Debug for FirebaseVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FirebaseVerifier")
            .field("project_id", &self.project_id)
            .field("keys_url", &self.keys_url)
            .field("min_refetch_interval", &self.min_refetch_interval)
            .finish_non_exhaustive()
    }
}

impl FirebaseVerifier {
    /// A verifier for tokens of `project_id`, with keys from `keys_url` (see
    /// [`DEFAULT_FIREBASE_KEYS_URL`]). Nothing is fetched until the first token arrives (or
    /// [`FirebaseVerifier::prefetch_keys`] is called).
    pub fn new(project_id: String, keys_url: String) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let issuer = format!("https://securetoken.google.com/{project_id}");
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[project_id.as_str()]);
        validation.set_issuer(&[issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
        validation.leeway = LEEWAY_SECS;
        // Expiry is checked by hand after signature, issuer and audience, so that `Expired` is
        // only reported for tokens that are otherwise valid for this project.
        validation.validate_exp = false;
        Self {
            project_id,
            keys_url,
            client,
            min_refetch_interval: DEFAULT_MIN_REFETCH_INTERVAL,
            validation,
            cache: Arc::default(),
        }
    }

    /// Uses this HTTP client for fetching keys (proxy, timeouts, TLS settings).
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }

    /// Sets the minimum time between two key fetches (default 5 s).
    pub fn with_min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    pub fn keys_url(&self) -> &str {
        &self.keys_url
    }

    /// Fetches the key set now (for example at start-up) and returns how many keys it holds.
    pub async fn prefetch_keys(&self) -> Result<usize, AuthError> {
        let _guard = self.cache.fetch_lock.lock().await;
        self.refresh().await.ok_or(AuthError::KeysUnavailable)
    }

    /// Verifies an ID token and returns its uid (`sub`).
    ///
    /// Errors: [`AuthError::KeysUnavailable`] when no key set could ever be fetched,
    /// [`AuthError::Expired`] for an otherwise valid token past its `exp`, and
    /// [`AuthError::InvalidToken`] for everything else.
    pub async fn verify(&self, token: &str) -> Result<String, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::InvalidToken)?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::InvalidToken);
        }
        let kid = header
            .kid
            .filter(|kid| !kid.is_empty())
            .ok_or(AuthError::InvalidToken)?;
        let key = self.key_for(&kid).await?;
        let claims = jsonwebtoken::decode::<FirebaseClaims>(token, &key, &self.validation)
            .map_err(|_| AuthError::InvalidToken)?
            .claims;
        let now = chrono::Utc::now().timestamp();
        let leeway = LEEWAY_SECS as i64;
        if claims.sub.is_empty() || claims.sub.len() > MAX_UID_LEN || claims.iat > now + leeway {
            return Err(AuthError::InvalidToken);
        }
        if claims.exp < now - leeway {
            return Err(AuthError::Expired);
        }
        Ok(claims.sub)
    }

    fn state(&self) -> MutexGuard<'_, CacheState> {
        // The state is always left consistent, so a poisoned lock is still usable.
        self.cache
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn key_for(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        let now = Instant::now();
        let seen_attempt = {
            let state = self.state();
            let fresh = state.fresh_until.is_some_and(|until| now < until);
            if let (true, Some(key)) = (fresh, state.keys.as_ref().and_then(|k| k.get(kid))) {
                return Ok(key.clone());
            }
            state.last_attempt
        };

        // Missing, stale, or the kid is unknown: fetch, unless an attempt was made very recently.
        let recently_tried =
            seen_attempt.is_some_and(|at| now.duration_since(at) < self.min_refetch_interval);
        if !recently_tried {
            let _guard = self.cache.fetch_lock.lock().await;
            // Someone else may have fetched while we waited for the lock.
            if self.state().last_attempt == seen_attempt {
                self.refresh().await;
            }
        }

        let state = self.state();
        match &state.keys {
            None => Err(AuthError::KeysUnavailable),
            Some(keys) => keys.get(kid).cloned().ok_or(AuthError::InvalidToken),
        }
    }

    /// Fetches the key set and updates the cache; on failure the cached keys stay.
    /// Callers hold `fetch_lock`. Returns the number of keys fetched, `None` on failure.
    async fn refresh(&self) -> Option<usize> {
        let result = self.fetch().await;
        let mut state = self.state();
        let now = Instant::now();
        state.last_attempt = Some(now);
        match result {
            Ok((keys, max_age)) => {
                tracing::debug!(url = %self.keys_url, keys = keys.len(), ?max_age, "fetched Firebase signing keys");
                let count = keys.len();
                state.keys = Some(Arc::new(keys));
                state.fresh_until = Some(now + max_age);
                Some(count)
            }
            Err(error) => {
                if state.keys.is_some() {
                    tracing::warn!(url = %self.keys_url, %error, "could not refresh Firebase signing keys; keeping the cached ones");
                } else {
                    tracing::warn!(url = %self.keys_url, %error, "could not fetch Firebase signing keys");
                }
                None
            }
        }
    }

    async fn fetch(&self) -> Result<(KeySet, Duration), String> {
        let response = self
            .client
            .get(&self.keys_url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP status {status}"));
        }
        let max_age = response
            .headers()
            .get_all(reqwest::header::CACHE_CONTROL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(parse_max_age)
            .unwrap_or(DEFAULT_KEYS_MAX_AGE)
            .min(MAX_KEYS_MAX_AGE);
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        let keys = parse_key_set(&body)?;
        Ok((keys, max_age))
    }
}

/// The `max-age` directive of a `Cache-Control` header value, if any.
fn parse_max_age(header: &str) -> Option<Duration> {
    header.split(',').find_map(|directive| {
        let (name, value) = directive.trim().split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("max-age") {
            return None;
        }
        let seconds = value.trim().trim_matches('"').parse::<u64>().ok()?;
        Some(Duration::from_secs(seconds))
    })
}

/// Parses a JWKS or a `{kid: PEM certificate}` map into RSA verification keys. Keys that are not
/// usable for RS256 signatures are skipped; an empty result is an error.
fn parse_key_set(body: &[u8]) -> Result<KeySet, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("key set is not JSON: {e}"))?;
    let object = value
        .as_object()
        .ok_or("key set is not a JSON object".to_string())?;
    let mut keys = KeySet::new();
    if let Some(jwks) = object.get("keys").and_then(|k| k.as_array()) {
        for jwk in jwks {
            let field = |name: &str| jwk.get(name).and_then(|v| v.as_str());
            let usable = field("kty") == Some("RSA")
                && field("use").is_none_or(|u| u == "sig")
                && field("alg").is_none_or(|a| a == "RS256");
            let (Some(kid), Some(n), Some(e)) = (field("kid"), field("n"), field("e")) else {
                continue;
            };
            if !usable {
                continue;
            }
            match DecodingKey::from_rsa_components(n, e) {
                Ok(key) => {
                    keys.insert(kid.to_owned(), key);
                }
                Err(error) => tracing::warn!(kid, %error, "skipping unusable JWK"),
            }
        }
    } else {
        for (kid, pem) in object {
            let Some(pem) = pem.as_str() else { continue };
            match DecodingKey::from_rsa_pem(pem.as_bytes()) {
                Ok(key) => {
                    keys.insert(kid.clone(), key);
                }
                Err(error) => tracing::warn!(kid, %error, "skipping unusable certificate"),
            }
        }
    }
    if keys.is_empty() {
        return Err("key set holds no usable RSA key".to_string());
    }
    Ok(keys)
}

#[cfg(test)]
pub(crate) mod test_support {
    //! A real RSA key pair, a token signer and a tiny HTTP server that serves key sets.

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex, OnceLock};

    use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
    use jsonwebtoken::{EncodingKey, Header};
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::EncodePrivateKey;
    use rsa::traits::PublicKeyParts;

    use super::*;

    pub const PROJECT: &str = "omi-test-project";

    pub struct TestKey {
        pub kid: String,
        pub encoding: EncodingKey,
        pub n_b64: String,
        pub e_b64: String,
        pub pkcs8_pem: String,
    }

    fn b64url(bytes: &[u8]) -> String {
        // Minimal base64url without padding, to keep the dev-dependencies small.
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn generate(kid: &str) -> TestKey {
        let private = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).expect("RSA keygen");
        let public = private.to_public_key();
        let der = private.to_pkcs1_der().expect("PKCS#1 DER");
        let pkcs8_pem = private
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .expect("PKCS#8 PEM")
            .to_string();
        TestKey {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            n_b64: b64url(&public.n_bytes()),
            e_b64: b64url(&public.e_bytes()),
            pkcs8_pem,
        }
    }

    /// Two RSA keys, generated once per test binary.
    pub fn keys() -> &'static [TestKey; 2] {
        static KEYS: OnceLock<[TestKey; 2]> = OnceLock::new();
        KEYS.get_or_init(|| [generate("key-a"), generate("key-b")])
    }

    impl TestKey {
        pub fn jwk(&self) -> serde_json::Value {
            serde_json::json!({
                "kty": "RSA", "alg": "RS256", "use": "sig",
                "kid": self.kid, "n": self.n_b64, "e": self.e_b64,
            })
        }

        /// A self-signed certificate for this key, as Google serves them.
        pub fn certificate_pem(&self) -> String {
            let key_pair = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(
                &self.pkcs8_pem,
                &rcgen::PKCS_RSA_SHA256,
            )
            .expect("rcgen key pair");
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            params.distinguished_name.push(
                rcgen::DnType::CommonName,
                "securetoken.system.gserviceaccount.com",
            );
            params.self_signed(&key_pair).expect("self-signed").pem()
        }

        /// Signs `claims` with this key, naming `kid` in the header.
        pub fn sign_as(&self, kid: Option<&str>, claims: &serde_json::Value) -> String {
            let mut header = Header::new(Algorithm::RS256);
            header.kid = kid.map(str::to_owned);
            jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign")
        }

        pub fn sign(&self, claims: &serde_json::Value) -> String {
            self.sign_as(Some(&self.kid), claims)
        }
    }

    /// Claims of a valid ID token for `uid` in [`PROJECT`].
    pub fn valid_claims(uid: &str) -> serde_json::Value {
        let now = chrono::Utc::now().timestamp();
        serde_json::json!({
            "iss": format!("https://securetoken.google.com/{PROJECT}"),
            "aud": PROJECT,
            "auth_time": now - 10,
            "user_id": uid,
            "sub": uid,
            "iat": now - 10,
            "exp": now + 3600,
            "firebase": {"identities": {}, "sign_in_provider": "custom"},
        })
    }

    pub fn jwks(keys: &[&TestKey]) -> String {
        serde_json::json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() }).to_string()
    }

    pub fn x509_map(keys: &[&TestKey]) -> String {
        let map: serde_json::Map<String, serde_json::Value> = keys
            .iter()
            .map(|k| (k.kid.clone(), k.certificate_pem().into()))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    struct Served {
        status: StatusCode,
        body: String,
        cache_control: Option<String>,
    }

    /// An HTTP server on 127.0.0.1 serving a key set at `/keys` that tests can change and whose
    /// requests are counted.
    #[derive(Clone)]
    pub struct KeyServer {
        served: Arc<Mutex<Served>>,
        hits: Arc<AtomicUsize>,
        pub url: String,
    }

    impl KeyServer {
        pub async fn start(body: String) -> Self {
            let served = Arc::new(Mutex::new(Served {
                status: StatusCode::OK,
                body,
                cache_control: None,
            }));
            let hits = Arc::new(AtomicUsize::new(0));
            let (s, h) = (served.clone(), hits.clone());
            let app = axum::Router::new().route(
                "/keys",
                axum::routing::get(move || {
                    let (s, h) = (s.clone(), h.clone());
                    async move {
                        h.fetch_add(1, Ordering::SeqCst);
                        let served = s.lock().unwrap();
                        let mut headers = HeaderMap::new();
                        headers.insert(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/json"),
                        );
                        if let Some(cc) = &served.cache_control {
                            headers.insert(header::CACHE_CONTROL, cc.parse().unwrap());
                        }
                        (served.status, headers, served.body.clone())
                    }
                }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/keys", listener.local_addr().unwrap());
            tokio::spawn(async move {
                axum::serve(listener, app).await.unwrap();
            });
            Self { served, hits, url }
        }

        pub fn hits(&self) -> usize {
            self.hits.load(Ordering::SeqCst)
        }

        pub fn set_body(&self, body: String) {
            self.served.lock().unwrap().body = body;
        }

        pub fn set_status(&self, status: StatusCode) {
            self.served.lock().unwrap().status = status;
        }

        pub fn set_cache_control(&self, value: &str) {
            self.served.lock().unwrap().cache_control = Some(value.to_owned());
        }

        pub fn verifier(&self) -> FirebaseVerifier {
            FirebaseVerifier::new(PROJECT.to_owned(), self.url.clone())
                .with_http_client(reqwest::Client::builder().no_proxy().build().unwrap())
        }
    }

    /// A URL on 127.0.0.1 where nothing listens.
    pub async fn dead_url() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/keys", listener.local_addr().unwrap());
        drop(listener);
        url
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::test_support::*;
    use super::*;

    #[tokio::test]
    async fn valid_token_is_accepted_via_jwks_and_keys_are_cached() {
        let [a, b] = keys();
        let server = KeyServer::start(jwks(&[a, b])).await;
        let verifier = server.verifier();
        assert_eq!(
            verifier
                .verify(&a.sign(&valid_claims("alice")))
                .await
                .unwrap(),
            "alice"
        );
        assert_eq!(
            verifier
                .verify(&b.sign(&valid_claims("bob")))
                .await
                .unwrap(),
            "bob"
        );
        // No Cache-Control: cached for the default hour, so one fetch served both.
        assert_eq!(server.hits(), 1);
    }

    #[tokio::test]
    async fn valid_token_is_accepted_via_x509_map() {
        let [a, _] = keys();
        let body = x509_map(&[a]);
        assert!(body.contains("BEGIN CERTIFICATE"));
        let server = KeyServer::start(body).await;
        let verifier = server.verifier();
        assert_eq!(
            verifier
                .verify(&a.sign(&valid_claims("carol")))
                .await
                .unwrap(),
            "carol"
        );
        assert_eq!(server.hits(), 1);
    }

    #[tokio::test]
    async fn invalid_tokens_are_rejected() {
        let [a, b] = keys();
        let server = KeyServer::start(jwks(&[a])).await;
        let verifier = server.verifier();
        let now = chrono::Utc::now().timestamp();

        let with = |field: &str, value: serde_json::Value| {
            let mut claims = valid_claims("dave");
            claims[field] = value;
            claims
        };
        let invalid = [
            (
                "wrong audience",
                a.sign(&with("aud", "other-project".into())),
            ),
            (
                "wrong issuer",
                a.sign(&with(
                    "iss",
                    "https://securetoken.google.com/other-project".into(),
                )),
            ),
            (
                "issued in the future",
                a.sign(&with("iat", (now + 3600).into())),
            ),
            ("empty sub", a.sign(&with("sub", "".into()))),
            ("sub too long", a.sign(&with("sub", "x".repeat(129).into()))),
            (
                "bad signature",
                b.sign_as(Some(&a.kid), &valid_claims("dave")),
            ),
            (
                "unknown kid",
                a.sign_as(Some("no-such-kid"), &valid_claims("dave")),
            ),
            ("no kid", a.sign_as(None, &valid_claims("dave"))),
            ("not a jwt", "garbage".to_owned()),
            (
                "HS256",
                crate::auth::LocalTokens::from_secret(b"s")
                    .unwrap()
                    .issue("dave", chrono::Duration::hours(1)),
            ),
        ];
        for (what, token) in invalid {
            assert!(
                matches!(verifier.verify(&token).await, Err(AuthError::InvalidToken)),
                "{what} must be rejected as invalid"
            );
        }
        assert!(matches!(
            verifier
                .verify(&a.sign(&with("exp", (now - 3600).into())))
                .await,
            Err(AuthError::Expired)
        ));
        // Expired and for another project: invalid, not merely expired.
        let mut foreign_expired = with("exp", (now - 3600).into());
        foreign_expired["aud"] = "other-project".into();
        assert!(matches!(
            verifier.verify(&a.sign(&foreign_expired)).await,
            Err(AuthError::InvalidToken)
        ));
        // The sanity case passes with the same verifier.
        assert_eq!(
            verifier
                .verify(&a.sign(&valid_claims("dave")))
                .await
                .unwrap(),
            "dave"
        );
    }

    #[tokio::test]
    async fn unknown_kid_triggers_a_rate_limited_refetch() {
        let [a, b] = keys();
        let server = KeyServer::start(jwks(&[a])).await;
        let interval = Duration::from_secs(1);
        let verifier = server.verifier().with_min_refetch_interval(interval);
        // Signed up front so that signing time cannot eat into the interval.
        let token_a = a.sign(&valid_claims("u1"));
        let token_b = b.sign(&valid_claims("u2"));
        let token_c = a.sign_as(Some("kid-c"), &valid_claims("u3"));
        assert_eq!(verifier.verify(&token_a).await.unwrap(), "u1");
        assert_eq!(server.hits(), 1);

        // Google rotates: key b appears, key a is gone.
        server.set_body(jwks(&[b]));
        tokio::time::sleep(interval + Duration::from_millis(50)).await;
        assert_eq!(verifier.verify(&token_b).await.unwrap(), "u2");
        assert_eq!(server.hits(), 2, "the unknown kid caused one refetch");

        // Another unknown kid right away does not hit the server again.
        assert!(matches!(
            verifier.verify(&token_c).await,
            Err(AuthError::InvalidToken)
        ));
        assert_eq!(server.hits(), 2, "refetches are rate limited");

        // Once the interval has passed, it may ask again.
        tokio::time::sleep(interval + Duration::from_millis(50)).await;
        assert!(matches!(
            verifier.verify(&token_c).await,
            Err(AuthError::InvalidToken)
        ));
        assert_eq!(server.hits(), 3);

        // Key a was rotated out.
        assert!(matches!(
            verifier.verify(&token_a).await,
            Err(AuthError::InvalidToken)
        ));
    }

    #[tokio::test]
    async fn max_age_is_honoured_and_failed_refresh_keeps_cached_keys() {
        let [a, _] = keys();
        let server = KeyServer::start(jwks(&[a])).await;
        server.set_cache_control("public, max-age=1, must-revalidate, no-transform");
        let verifier = server
            .verifier()
            .with_min_refetch_interval(Duration::from_millis(10));
        let token = a.sign(&valid_claims("erin"));
        verifier.verify(&token).await.unwrap();
        verifier.verify(&token).await.unwrap();
        assert_eq!(server.hits(), 1, "fresh for max-age");

        tokio::time::sleep(Duration::from_millis(1100)).await;
        verifier.verify(&token).await.unwrap();
        assert_eq!(server.hits(), 2, "stale after max-age");

        // The key server breaks: the stale keys keep working.
        server.set_status(StatusCode::INTERNAL_SERVER_ERROR);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(verifier.verify(&token).await.unwrap(), "erin");
        assert_eq!(server.hits(), 3, "a refresh was attempted");
    }

    #[tokio::test]
    async fn unavailable_keys_are_a_distinct_error() {
        let [a, _] = keys();
        let token = a.sign(&valid_claims("frank"));

        // Nothing listens.
        let verifier = FirebaseVerifier::new(PROJECT.into(), dead_url().await)
            .with_http_client(reqwest::Client::builder().no_proxy().build().unwrap());
        assert!(matches!(
            verifier.verify(&token).await,
            Err(AuthError::KeysUnavailable)
        ));
        assert!(matches!(
            verifier.prefetch_keys().await,
            Err(AuthError::KeysUnavailable)
        ));

        // Server errors, then garbage, then an empty key set: unavailable, and not hammered.
        let server = KeyServer::start(jwks(&[a])).await;
        server.set_status(StatusCode::SERVICE_UNAVAILABLE);
        let verifier = server.verifier();
        assert!(matches!(
            verifier.verify(&token).await,
            Err(AuthError::KeysUnavailable)
        ));
        assert!(matches!(
            verifier.verify(&token).await,
            Err(AuthError::KeysUnavailable)
        ));
        assert_eq!(server.hits(), 1, "a failed fetch is not retried at once");

        server.set_status(StatusCode::OK);
        for body in ["not json", r#"{"keys":[]}"#, r#"{"kid":"not a pem"}"#] {
            server.set_body(body.to_owned());
            assert!(matches!(
                server.verifier().verify(&token).await,
                Err(AuthError::KeysUnavailable)
            ));
        }

        // Garbage tokens never cause a fetch.
        let hits = server.hits();
        assert!(matches!(
            server.verifier().verify("a.b.c").await,
            Err(AuthError::InvalidToken)
        ));
        assert_eq!(server.hits(), hits);

        // Once the server recovers, prefetching works.
        server.set_body(jwks(&[a]));
        assert_eq!(server.verifier().prefetch_keys().await.unwrap(), 1);
    }

    #[test]
    fn cache_control_parsing() {
        assert_eq!(
            parse_max_age("public, max-age=19100, must-revalidate, no-transform"),
            Some(Duration::from_secs(19100))
        );
        assert_eq!(
            parse_max_age("Max-Age = \"60\""),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_max_age("no-cache"), None);
        assert_eq!(parse_max_age("max-age=abc"), None);
        assert_eq!(parse_max_age("s-maxage=5"), None);
    }

    #[test]
    fn jwks_entries_not_for_rs256_signatures_are_skipped() {
        let [a, _] = keys();
        let mut enc = a.jwk();
        enc["use"] = "enc".into();
        enc["kid"] = "enc".into();
        let mut ec = a.jwk();
        ec["kty"] = "EC".into();
        ec["kid"] = "ec".into();
        let body = serde_json::json!({ "keys": [enc, ec, a.jwk()] }).to_string();
        let keys = parse_key_set(body.as_bytes()).unwrap();
        assert_eq!(keys.keys().collect::<Vec<_>>(), vec![&a.kid]);
    }
}
