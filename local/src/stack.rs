//! Creates the table, queues (with DLQs) and schedule group that template.yaml declares, under the
//! same names (`<stack>`, `<stack>-deliveries`, …). Idempotent. ARNs and URLs are looked up, never
//! built, since account ids differ between emulators.

use anyhow::{Context, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use herald_aws::dynamodb::TTL_ATTRIBUTE;
use herald_aws::settings::{self, Resources};
use herald_domain::Secret;

/// Where a local run may deliver besides public addresses: this machine.
pub const LOOPBACK: [&str; 2] = ["127.0.0.0/8", "::1/128"];

/// How often SQS hands a message to a function before it goes to the DLQ (template.yaml agrees).
pub const MAX_RECEIVE_COUNT: u32 = herald_aws::lambda::MAX_RECEIVES;
/// Six times each function's timeout (template.yaml agrees): deliver 40 s, retry 60 s.
pub const DELIVERIES_VISIBILITY_SECS: u32 = 240;
pub const WAKEUPS_VISIBILITY_SECS: u32 = 360;

/// A stack's resources, named as template.yaml names them.
#[derive(Clone, Debug)]
pub struct Stack {
    pub name: String,
    pub resources: Resources,
}

impl Stack {
    pub async fn ensure(aws: &aws_config::SdkConfig, name: &str) -> Result<Self> {
        Self::ensure_with(aws, name, None).await
    }

    /// As [`Stack::ensure`]; `visibility` replaces both queues' visibility timeouts (a crash test
    /// wants what a killed process had received back in seconds, not minutes).
    pub async fn ensure_with(aws: &aws_config::SdkConfig, name: &str, visibility: Option<u32>) -> Result<Self> {
        let ddb = aws_sdk_dynamodb::Client::new(aws);
        let sqs = aws_sdk_sqs::Client::new(aws);
        let scheduler = aws_sdk_scheduler::Client::new(aws);
        ensure_table(&ddb, name).await?;
        let deliveries_dlq_url =
            ensure_queue(&sqs, &format!("{name}-deliveries-dlq"), DELIVERIES_VISIBILITY_SECS, None).await?;
        let deliveries_queue_url = ensure_queue(
            &sqs,
            &format!("{name}-deliveries"),
            visibility.unwrap_or(DELIVERIES_VISIBILITY_SECS),
            Some(&deliveries_dlq_url),
        )
        .await?;
        let wakeups_dlq_url = ensure_queue(&sqs, &format!("{name}-wakeups-dlq"), WAKEUPS_VISIBILITY_SECS, None).await?;
        let wakeups_queue_url = ensure_queue(
            &sqs,
            &format!("{name}-wakeups"),
            visibility.unwrap_or(WAKEUPS_VISIBILITY_SECS),
            Some(&wakeups_dlq_url),
        )
        .await?;
        match scheduler.create_schedule_group().name(name).send().await {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conflict_exception()) => {}
            Err(e) => return Err(e).context(format!("creating schedule group {name}")),
        }
        let wakeups_queue_arn = queue_arn(&sqs, &wakeups_queue_url).await?;
        let wakeups_dlq_arn = queue_arn(&sqs, &wakeups_dlq_url).await?;
        // The role Scheduler assumes to put wake-ups on the queue. Emulators do not check it; its
        // account comes from the looked-up queue ARN, since account ids differ between emulators.
        let account =
            wakeups_queue_arn.split(':').nth(4).filter(|a| !a.is_empty()).context("queue ARN has no account")?;
        let resources = Resources {
            table: name.to_owned(),
            deliveries_queue_url,
            deliveries_dlq_url,
            wakeups_queue_url,
            wakeups_dlq_url,
            scheduler_role_arn: format!("arn:aws:iam::{account}:role/{name}-scheduler"),
            wakeups_queue_arn,
            wakeups_dlq_arn,
            schedule_group: name.to_owned(),
        };
        Ok(Self { name: name.to_owned(), resources })
    }

    /// The environment every Lambda function reads, for `cargo lambda watch --env-file`: the
    /// stack's resources, the admin token, and loopback allowed as a delivery address.
    pub fn env_lines(&self, endpoint: &str, admin_token: &Secret) -> String {
        let mut lines = format!(
            "AWS_ENDPOINT_URL={endpoint}\nAWS_REGION=us-east-1\nAWS_ACCESS_KEY_ID=test\nAWS_SECRET_ACCESS_KEY=test\n"
        );
        for (name, value) in self.resources.variables() {
            lines.push_str(&format!("{name}={value}\n"));
        }
        lines.push_str(&format!("{}={}\n", settings::ALLOW_NETWORKS, LOOPBACK.join(",")));
        lines.push_str(&format!("{}={}\n", settings::ADMIN_TOKEN, admin_token.expose()));
        lines
    }
}

async fn ensure_table(ddb: &aws_sdk_dynamodb::Client, name: &str) -> Result<()> {
    let key = |n: &str, t: KeyType| KeySchemaElement::builder().attribute_name(n).key_type(t).build();
    let attr =
        |n: &str| AttributeDefinition::builder().attribute_name(n).attribute_type(ScalarAttributeType::S).build();
    let created = ddb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("PK")?)
        .attribute_definitions(attr("SK")?)
        .key_schema(key("PK", KeyType::Hash)?)
        .key_schema(key("SK", KeyType::Range)?)
        .send()
        .await;
    match created {
        Ok(_) => {
            let ttl = TimeToLiveSpecification::builder().attribute_name(TTL_ATTRIBUTE).enabled(true).build()?;
            ddb.update_time_to_live()
                .table_name(name)
                .time_to_live_specification(ttl)
                .send()
                .await
                .context("enabling TTL")?;
            Ok(())
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => Ok(()),
        Err(e) => Err(e).context(format!("creating table {name}")),
    }
}

async fn ensure_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    visibility_secs: u32,
    dlq_url: Option<&str>,
) -> Result<String> {
    let mut create = sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::VisibilityTimeout, visibility_secs.to_string())
        .attributes(QueueAttributeName::MessageRetentionPeriod, (14 * 24 * 3600).to_string());
    if let Some(dlq_url) = dlq_url {
        let arn = queue_arn(sqs, dlq_url).await?;
        let policy = serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": MAX_RECEIVE_COUNT.to_string()});
        create = create.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    let out = create.send().await.with_context(|| format!("creating queue {name}"))?;
    out.queue_url.with_context(|| format!("queue {name} has no URL"))
}

pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String> {
    let out = sqs.get_queue_attributes().queue_url(url).attribute_names(QueueAttributeName::QueueArn).send().await?;
    out.attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .with_context(|| format!("queue {url} reports no ARN"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use herald_aws::settings::{AdminConfig, DeliverConfig, Env, IngestConfig, RetryConfig};

    use super::*;

    /// `cargo lambda watch --env-file` gives every function exactly these lines: each must start.
    #[test]
    fn the_env_file_configures_every_function() {
        let stack = Stack {
            name: "s".into(),
            resources: Resources {
                table: "s".into(),
                deliveries_queue_url: "http://q/d".into(),
                deliveries_dlq_url: "http://q/dd".into(),
                wakeups_queue_url: "http://q/w".into(),
                wakeups_dlq_url: "http://q/wd".into(),
                wakeups_queue_arn: "arn:aws:sqs:us-east-1:0:s-wakeups".into(),
                wakeups_dlq_arn: "arn:aws:sqs:us-east-1:0:s-wakeups-dlq".into(),
                schedule_group: "s".into(),
                scheduler_role_arn: "arn:aws:iam::0:role/s-scheduler".into(),
            },
        };
        let token = Secret::new("0123456789abcdef0123");
        let vars: HashMap<String, String> = stack
            .env_lines("http://127.0.0.1:4566", &token)
            .lines()
            .map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).unwrap())
            .collect();
        let lookup = move |name: &str| vars.get(name).cloned();
        let env = Env::new(&lookup);
        assert_eq!(IngestConfig::read(env).unwrap().table, "s");
        assert_eq!(DeliverConfig::read(env).unwrap().backoff.allow_networks.len(), 2);
        assert_eq!(RetryConfig::read(env).unwrap().backoff.wakeups_queue_arn, stack.resources.wakeups_queue_arn);
        let admin = AdminConfig::read(env).unwrap();
        assert_eq!(admin.wakeups_dlq_url, "http://q/wd");
        assert_eq!(admin.token, herald_aws::settings::AdminTokenSource::Value(token.clone()));
    }
}
