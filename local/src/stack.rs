//! Creates the table, queues (with DLQs) and schedule group that template.yaml declares, under the
//! same names (`<stack>`, `<stack>-deliveries`, …). Idempotent. ARNs and URLs are looked up, never
//! built, since account ids differ between emulators.

use anyhow::{Context, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use herald_core::aws::dynamodb::TTL_ATTRIBUTE;

/// How often SQS hands a message to a function before it goes to the DLQ (template.yaml agrees).
pub const MAX_RECEIVE_COUNT: u32 = 5;
/// Longer than a batch of deliveries can take (template.yaml agrees).
pub const VISIBILITY_TIMEOUT_SECS: u32 = 240;

#[derive(Clone, Debug)]
pub struct Stack {
    pub name: String,
    pub table: String,
    pub deliveries_url: String,
    pub deliveries_dlq_url: String,
    pub wakeups_url: String,
    pub wakeups_dlq_url: String,
    pub wakeups_arn: String,
    pub schedule_group: String,
    /// The role Scheduler assumes to put wake-ups on the queue. Emulators do not check it; its
    /// account comes from the looked-up queue ARN, since account ids differ between emulators.
    pub scheduler_role_arn: String,
}

impl Stack {
    pub async fn ensure(aws: &aws_config::SdkConfig, name: &str) -> Result<Self> {
        let ddb = aws_sdk_dynamodb::Client::new(aws);
        let sqs = aws_sdk_sqs::Client::new(aws);
        let scheduler = aws_sdk_scheduler::Client::new(aws);
        ensure_table(&ddb, name).await?;
        let deliveries_dlq_url = ensure_queue(&sqs, &format!("{name}-deliveries-dlq"), None).await?;
        let deliveries_url = ensure_queue(&sqs, &format!("{name}-deliveries"), Some(&deliveries_dlq_url)).await?;
        let wakeups_dlq_url = ensure_queue(&sqs, &format!("{name}-wakeups-dlq"), None).await?;
        let wakeups_url = ensure_queue(&sqs, &format!("{name}-wakeups"), Some(&wakeups_dlq_url)).await?;
        match scheduler.create_schedule_group().name(name).send().await {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conflict_exception()) => {}
            Err(e) => return Err(e).context(format!("creating schedule group {name}")),
        }
        let wakeups_arn = queue_arn(&sqs, &wakeups_url).await?;
        let account = wakeups_arn.split(':').nth(4).filter(|a| !a.is_empty()).context("queue ARN has no account")?;
        Ok(Self {
            name: name.to_owned(),
            table: name.to_owned(),
            deliveries_url,
            deliveries_dlq_url,
            wakeups_url,
            wakeups_dlq_url,
            scheduler_role_arn: format!("arn:aws:iam::{account}:role/{name}-scheduler"),
            wakeups_arn,
            schedule_group: name.to_owned(),
        })
    }

    /// The environment the Lambda functions read, for `cargo lambda watch --env-file`.
    pub fn env_lines(&self, endpoint: &str) -> String {
        format!(
            "AWS_ENDPOINT_URL={endpoint}\nAWS_REGION=us-east-1\nAWS_ACCESS_KEY_ID=test\nAWS_SECRET_ACCESS_KEY=test\n\
             HERALD_TABLE={}\nHERALD_DELIVERIES_QUEUE_URL={}\nHERALD_WAKEUPS_QUEUE_URL={}\nHERALD_WAKEUPS_QUEUE_ARN={}\n\
             HERALD_SCHEDULE_GROUP={}\nHERALD_SCHEDULER_ROLE_ARN={}\nHERALD_ALLOW_NETWORKS=127.0.0.0/8,::1\n",
            self.table,
            self.deliveries_url,
            self.wakeups_url,
            self.wakeups_arn,
            self.schedule_group,
            self.scheduler_role_arn
        )
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

async fn ensure_queue(sqs: &aws_sdk_sqs::Client, name: &str, dlq_url: Option<&str>) -> Result<String> {
    let mut create = sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::VisibilityTimeout, VISIBILITY_TIMEOUT_SECS.to_string())
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
