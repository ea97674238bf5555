//! OAuth 2.0 authorization-code providers of account integrations (spec §7.3): where to send the user
//! ([`OAuthProvider::authorization_url`]) and the exchange of the code the callback receives for tokens
//! ([`OAuthProvider::exchange`], RFC 6749 §4.1.3). Endpoints are settings, so a local server can stand in.

use std::time::Duration;

use serde::Deserialize;

/// Google's authorization endpoint.
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Google's token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// What the Google Calendar integration asks for: the calendar and contacts, read-only.
pub const GOOGLE_CALENDAR_SCOPES: &str = "https://www.googleapis.com/auth/calendar.readonly https://www.googleapis.com/auth/contacts.readonly";

/// One provider's client registration and endpoints.
#[derive(Debug, Clone)]
pub struct OAuthProvider {
    pub client_id: String,
    pub client_secret: String,
    pub auth_url: String,
    pub token_url: String,
    pub scopes: String,
}

/// The tokens an exchange gave.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

impl OAuthProvider {
    /// The URL that asks the user to grant access, returning to `redirect_uri` with `state` (offline access, so
    /// a refresh token comes back; consent asked each time, so it comes back every time).
    pub fn authorization_url(&self, redirect_uri: &str, state: &str) -> String {
        let query = [
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            ("scope", self.scopes.as_str()),
            ("access_type", "offline"),
            ("prompt", "consent"),
            ("state", state),
        ]
        .iter()
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&");
        let separator = if self.auth_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{separator}{query}", self.auth_url)
    }

    /// Trades `code` for tokens, or says why not.
    pub async fn exchange(&self, code: &str, redirect_uri: &str) -> Result<Tokens, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|error| error.to_string())?;
        let response = client
            .post(&self.token_url)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
            ])
            .send()
            .await
            .map_err(|error| format!("token endpoint unreachable: {error}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("token endpoint answered {status}"));
        }
        let tokens: Tokens = response
            .json()
            .await
            .map_err(|error| format!("token endpoint answered no tokens: {error}"))?;
        if tokens.access_token.is_empty() {
            return Err("token endpoint answered an empty access token".into());
        }
        Ok(tokens)
    }
}

/// Percent-encodes everything but the unreserved characters (RFC 3986).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_url_carries_the_client_the_return_and_the_state() {
        let provider = OAuthProvider {
            client_id: "client 1".into(),
            client_secret: "s".into(),
            auth_url: "http://auth.test/authorize".into(),
            token_url: "http://auth.test/token".into(),
            scopes: "a b".into(),
        };
        assert_eq!(
            provider.authorization_url("http://omi.test/v2/integrations/google_calendar/callback", "st.a-te"),
            "http://auth.test/authorize?client_id=client%201&redirect_uri=http%3A%2F%2Fomi.test%2Fv2%2Fintegrations%2Fgoogle_calendar%2Fcallback&response_type=code&scope=a%20b&access_type=offline&prompt=consent&state=st.a-te"
        );
    }
}
