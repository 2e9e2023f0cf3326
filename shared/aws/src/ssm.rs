//! The admin token from an SSM SecureString parameter (`HERALD_ADMIN_TOKEN_PARAMETER`), read once at
//! the admin function's init, so the token is in no Lambda environment variable.

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
    let name = match source {
        AdminTokenSource::Value(token) => return Ok(token.clone()),
        AdminTokenSource::Parameter(name) => name,
    };
    let out = ssm.get_parameter().name(name).with_decryption(true).send().await.map_err(|e| {
        // The code and message say what is wrong (no such parameter, access denied); never the value.
        let why = match (e.code(), e.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            _ => e.to_string(),
        };
        TokenError::Unreadable { name: name.clone(), why }
    })?;
    let value = out.parameter.and_then(|p| p.value).unwrap_or_default();
    parse_admin_token(&value).map_err(|e| TokenError::Unusable { name: name.clone(), why: e.to_string() })
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
                    let value = match request["Name"].as_str() {
                        Some("/herald/admin-token") => "a-token-read-from-ssm-0123",
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
}
