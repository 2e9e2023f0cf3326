//! Adapters from the ports to AWS (DynamoDB, SQS) and to the network (reqwest).

pub mod dynamodb;
pub mod http;
pub mod netguard;
pub mod sqs;
