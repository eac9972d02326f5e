//! `ipc:pipe`: one-byte ping-pong over two pipes per pair (`perf bench sched pipe`). Worker
//! `2k` initiates, worker `2k + 1` echoes.

use super::open_pipe;
use super::pair::PairTransport;
use super::pingpong;
use crate::workload::{Channel, WorkloadError};

pub static PIPE: PairTransport = PairTransport {
    name: "ipc:pipe",
    label: "pipe",
    connect,
    start: pingpong::over_two,
};

/// Two pipes per pair: the initiator writes the first and reads the second; the responder
/// gets the other ends (its first end is the one it reads).
fn connect(_within_process: bool) -> Result<(Channel, Channel), WorkloadError> {
    let (a_r, a_w) = open_pipe()?;
    let (b_r, b_w) = open_pipe()?;
    Ok((
        Channel {
            fds: vec![a_w, b_r],
            shared: None,
        },
        Channel {
            fds: vec![a_r, b_w],
            shared: None,
        },
    ))
}
