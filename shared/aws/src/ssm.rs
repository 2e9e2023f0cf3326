//! The admin token from an SSM SecureString parameter (`HERALD_ADMIN_TOKEN_PARAMETER`), read at the
//! admin function's init (so the token is in no Lambda environment variable) and again once the
//! copy is older than [`TOKEN_TTL`], so a rotated token replaces the old one in warm containers too.

use std::time::{Duration, Instant};

use aws_sdk_ssm::error::ProvideErrorMetadata as _;
use herald_domain::Secret;

use crate::settings::{AdminTokenSource, parse_admin_token};

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("could not read the admin token from SSM parameter {name}: {why}")]
    Unreadable { name: String, why: String },
    #[error("SSM parameter {name} holds no usable admin token: {why}")]
    Unusable { name: String, why: String },
}

/// The token itself, reading the parameter (decrypted) when that is where it is.
pub async fn admin_token(source: &AdminTokenSource, ssm: &aws_sdk_ssm::Client) -> Result<Secret, TokenError> {
    match source {
        AdminTokenSource::Value(token) => Ok(token.clone()),
        AdminTokenSource::Parameter(name) => read_parameter(name, ssm).await,
    }
}

/// The token in SSM parameter `name`, read decrypted.
async fn read_parameter(name: &str, ssm: &aws_sdk_ssm::Client) -> Result<Secret, TokenError> {
    let out = ssm.get_parameter().name(name).with_decryption(true).send().await.map_err(|e| {
        // The code and message say what is wrong (no such parameter, access denied); never the value.
        let why = match (e.code(), e.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            _ => e.to_string(),
        };
        TokenError::Unreadable { name: name.to_owned(), why }
    })?;
    let value = out.parameter.and_then(|p| p.value).unwrap_or_default();
    parse_admin_token(&value).map_err(|e| TokenError::Unusable { name: name.to_owned(), why: e.to_string() })
}

/// How long a warm admin function trusts the token it read from SSM: a token rotated in the
/// parameter (or in Secrets Manager behind it) is the only one accepted within this long.
pub const TOKEN_TTL: Duration = Duration::from_secs(60);
/// After a failed re-read, how long the last token read stays in use before the next try.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// The admin token the router checks: fixed (the environment, herald-local), or read from SSM and
/// read again once older than its TTL.
pub struct AdminToken {
    parameter: Option<(String, aws_sdk_ssm::Client, Duration)>,
    read: tokio::sync::Mutex<(Secret, Instant)>,
}

impl From<Secret> for AdminToken {
    fn from(token: Secret) -> Self {
        Self { parameter: None, read: tokio::sync::Mutex::new((token, Instant::now())) }
    }
}

impl AdminToken {
    /// Reads the token now (init fails on a parameter that cannot be read), to be re-read after `ttl`.
    pub async fn load(source: &AdminTokenSource, ssm: &aws_sdk_ssm::Client, ttl: Duration) -> Result<Self, TokenError> {
        let token = admin_token(source, ssm).await?;
        let parameter = match source {
            AdminTokenSource::Value(_) => None,
            AdminTokenSource::Parameter(name) => Some((name.clone(), ssm.clone(), ttl)),
        };
        Ok(Self { parameter, read: tokio::sync::Mutex::new((token, Instant::now())) })
    }

    /// The token in force: re-read when the copy is older than its TTL. Should SSM fail, the last
    /// token read stays in use (the admin is not locked out by an SSM outage) and is tried again soon.
    pub async fn current(&self) -> Secret {
        let mut read = self.read.lock().await;
        let Some((name, ssm, ttl)) = &self.parameter else { return read.0.clone() };
        if read.1.elapsed() >= *ttl {
            match read_parameter(name, ssm).await {
                Ok(token) => *read = (token, Instant::now()),
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the admin token again; the last one read stays in use");
                    read.1 = Instant::now() - *ttl + RETRY_AFTER_FAILURE.min(*ttl);
                }
            }
        }
        read.0.clone()
    }
}

/// An SSM client with Herald's timeouts and retry budget.
pub fn client(aws: &aws_config::SdkConfig) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&crate::clients::bounded(aws))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use serde_json::{Value, json};

    use super::*;

    /// SSM's JSON protocol, for two parameters; records what was asked.
    async fn fake_ssm() -> (String, Arc<Mutex<Vec<Value>>>) {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route(
                "/",
                post(|State(asked): State<Arc<Mutex<Vec<Value>>>>, headers: HeaderMap, body: String| async move {
                    let request: Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(headers["x-amz-target"], "AmazonSSM.GetParameter");
                    asked.lock().unwrap().push(request.clone());
                    let reads = asked.lock().unwrap().iter().filter(|r| r["Name"] == "/herald/rotating").count();
                    let value = match request["Name"].as_str() {
                        Some("/herald/admin-token") => "a-token-read-from-ssm-0123",
                        // Rotated after its first read.
                        Some("/herald/rotating") if reads <= 1 => "the-first-token-of-three",
                        Some("/herald/rotating") => "the-rotated-token-of-three",
                        Some("/herald/short") => "short-one",
                        _ => {
                            let error = json!({"__type": "ParameterNotFound", "message": "no such parameter"});
                            return (StatusCode::BAD_REQUEST, error.to_string());
                        }
                    };
                    let parameter =
                        json!({"Parameter": {"Name": request["Name"], "Type": "SecureString", "Value": value}});
                    (StatusCode::OK, parameter.to_string())
                }),
            )
            .with_state(asked.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, asked)
    }

    fn client(url: &str) -> aws_sdk_ssm::Client {
        let config = aws_sdk_ssm::Config::builder()
            .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
            .region(aws_sdk_ssm::config::Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_ssm::config::Credentials::new("test", "test", None, None, "test"))
            .endpoint_url(url)
            .build();
        aws_sdk_ssm::Client::from_conf(config)
    }

    #[tokio::test]
    async fn the_token_is_read_decrypted_from_the_parameter_once_and_never_shown() {
        let (url, asked) = fake_ssm().await;
        let ssm = client(&url);
        let token = admin_token(&AdminTokenSource::Parameter("/herald/admin-token".into()), &ssm).await.unwrap();
        assert_eq!(token.expose(), "a-token-read-from-ssm-0123");
        assert_eq!(asked.lock().unwrap()[0]["WithDecryption"], true, "a SecureString is asked for decrypted");
        let missing = admin_token(&AdminTokenSource::Parameter("/herald/none".into()), &ssm).await.unwrap_err();
        assert!(missing.to_string().contains("ParameterNotFound"), "{missing}");
        let short = admin_token(&AdminTokenSource::Parameter("/herald/short".into()), &ssm).await.unwrap_err();
        assert!(matches!(short, TokenError::Unusable { .. }) && !short.to_string().contains("short-one"), "{short}");
        let given = admin_token(&AdminTokenSource::Value(Secret::new("from-the-environment")), &ssm).await.unwrap();
        assert_eq!(given.expose(), "from-the-environment");
        assert_eq!(asked.lock().unwrap().len(), 3, "a token from the environment reads nothing");
    }

    #[tokio::test]
    async fn a_rotated_parameter_replaces_the_token_after_its_ttl_and_a_fixed_one_reads_nothing() {
        let (url, asked) = fake_ssm().await;
        let ssm = client(&url);
        let ttl = Duration::from_millis(300);
        let source = AdminTokenSource::Parameter("/herald/rotating".into());
        let token = AdminToken::load(&source, &ssm, ttl).await.unwrap();
        assert_eq!(token.current().await.expose(), "the-first-token-of-three", "within the TTL: the copy read");
        tokio::time::sleep(ttl + Duration::from_millis(50)).await;
        assert_eq!(token.current().await.expose(), "the-rotated-token-of-three");
        let reads = asked.lock().unwrap().len();
        assert_eq!(reads, 2, "one read at init, one after the TTL");
        // A parameter that is gone after init: the last token stays in use, tried again soon.
        let lost = AdminToken {
            parameter: Some(("/herald/none".into(), ssm.clone(), Duration::ZERO)),
            read: tokio::sync::Mutex::new((Secret::new("kept-while-ssm-fails"), Instant::now())),
        };
        assert_eq!(lost.current().await.expose(), "kept-while-ssm-fails");
        let fixed = AdminToken::from(Secret::new("from-the-environment"));
        assert_eq!(fixed.current().await.expose(), "from-the-environment");
        assert_eq!(asked.lock().unwrap().len(), reads + 1, "only the lost parameter was asked for");
    }
}
