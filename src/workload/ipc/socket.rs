//! `ipc:socket`: one-byte ping-pong over a Unix socketpair per pair. Worker `2k` initiates,
//! worker `2k + 1` echoes.

use super::pair::PairTransport;
use super::pingpong;
use super::socketpair;
use crate::workload::{Channel, WorkloadError};

pub static SOCKET: PairTransport = PairTransport {
    name: "ipc:socket",
    label: "socket",
    connect,
    start: pingpong::over_one,
};

/// One socketpair per pair; each end reads and writes the same descriptor.
fn connect(_within_process: bool) -> Result<(Channel, Channel), WorkloadError> {
    let (a, b) = socketpair()?;
    Ok((
        Channel {
            fds: vec![a],
            shared: None,
        },
        Channel {
            fds: vec![b],
            shared: None,
        },
    ))
}
