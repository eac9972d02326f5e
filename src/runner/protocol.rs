//! The parent-worker protocol of process workers: one typed, versioned JSON line per message on
//! the child's stdout. Errors cross this boundary as text.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::error::WorkerError;
use super::worker::WorkerResult;

/// Version of the parent-worker protocol.
pub const PROTOCOL_VERSION: u32 = 1;

/// One line from a worker to its parent.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "msg", rename_all = "lowercase")]
pub enum Message {
    Ready { v: u32 },
    Result { v: u32, result: Box<WorkerResult> },
    Error { v: u32, error: String },
}

impl Message {
    pub fn ready() -> Self {
        Message::Ready {
            v: PROTOCOL_VERSION,
        }
    }

    pub fn result(result: WorkerResult) -> Self {
        Message::Result {
            v: PROTOCOL_VERSION,
            result: Box::new(result),
        }
    }

    pub fn error(error: impl ToString) -> Self {
        Message::Error {
            v: PROTOCOL_VERSION,
            error: error.to_string(),
        }
    }

    /// Writes the message as one line on stdout and flushes it.
    pub fn send(&self) {
        let out = std::io::stdout();
        let mut lock = out.lock();
        let _ = writeln!(lock, "{}", serde_json::to_string(self).expect("serialises"));
        let _ = lock.flush();
    }

    /// Reads one line from a worker: a message of this protocol's version, or why not.
    pub fn parse(line: &str) -> Result<Message, WorkerError> {
        let msg: Message = serde_json::from_str(line)
            .map_err(|_| WorkerError::Garbage(line.chars().take(80).collect()))?;
        let v = match &msg {
            Message::Ready { v } | Message::Result { v, .. } | Message::Error { v, .. } => *v,
        };
        if v != PROTOCOL_VERSION {
            return Err(WorkerError::Protocol(v));
        }
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_other_versions_are_refused() {
        assert!(matches!(
            Message::parse("this is not json"),
            Err(WorkerError::Garbage(_))
        ));
        assert!(matches!(
            Message::parse(r#"{"msg":"ready","v":99}"#),
            Err(WorkerError::Protocol(99))
        ));
        assert!(matches!(
            Message::parse(r#"{"msg":"ready","v":1}"#),
            Ok(Message::Ready { v: 1 })
        ));
    }
}
