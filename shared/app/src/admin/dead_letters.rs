//! The two dead-letter queues: a look, and moving everything back.

use super::views::{Count, DeadLettersView};
use super::{Admin, AdminError};

impl Admin {
    pub async fn dead_letters(&self) -> Result<DeadLettersView, AdminError> {
        let (messages, counts) = self.dead_letters.peek(10).await?;
        Ok(DeadLettersView { messages, counts: counts.into_iter().collect() })
    }

    pub async fn redrive(&self) -> Result<Count, AdminError> {
        Ok(Count::Redriven(self.dead_letters.redrive().await?))
    }
}
