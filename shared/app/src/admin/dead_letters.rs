//! The two dead-letter queues: a look, and moving everything back.

use serde_json::{Value, json};

use super::{Admin, AdminError};

impl Admin {
    pub async fn dead_letters(&self) -> Result<Value, AdminError> {
        let (messages, counts) = self.dead_letters.peek(10).await?;
        let mut out = json!({"messages": messages});
        for (queue, count) in counts {
            out[queue] = json!(count);
        }
        Ok(out)
    }

    pub async fn redrive(&self) -> Result<Value, AdminError> {
        Ok(json!({"redriven": self.dead_letters.redrive().await?}))
    }
}
