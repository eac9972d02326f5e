//! The hidden `__worker` subcommand: the child's side of a process worker. It adopts the
//! descriptors its parent passed, runs one worker, and reports on stdout.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use super::error::WorkerError;
use super::protocol::Message;
use super::worker::{WorkerSpec, run_worker};
use crate::workload::Channel;

/// Runs one worker and reports to the parent on stdout. Returns the process exit status.
pub fn worker_main(spec_json: &str, parent: i32, fds: &str) -> i32 {
    // The parent-death signal was set before exec; if the parent died before that, stop now.
    if nix::unistd::getppid().as_raw() != parent {
        return 3;
    }
    let spec: WorkerSpec = match serde_json::from_str(spec_json) {
        Ok(s) => s,
        Err(e) => {
            Message::error(format!("bad worker spec: {e}")).send();
            return 2;
        }
    };
    let mut owned = Vec::new();
    for part in fds.split(',').filter(|p| !p.is_empty()) {
        let Ok(fd) = part.parse::<RawFd>() else {
            Message::error(format!("bad descriptor list `{fds}`")).send();
            return 2;
        };
        // SAFETY: the parent opened this descriptor for this worker alone and cleared its
        // close-on-exec flag; nothing else in this process owns it.
        owned.push(unsafe { OwnedFd::from_raw_fd(fd) });
    }
    let channel = Channel {
        fds: owned,
        shared: None,
    };
    let result = run_worker(&spec, channel, || {
        Message::ready().send();
        let mut go = [0u8; 1];
        std::io::stdin()
            .read_exact(&mut go)
            .map_err(WorkerError::NoStart)?;
        #[cfg(feature = "fault-injection")]
        super::fault::inject(&spec);
        Ok(())
    });
    match result {
        Ok(r) => {
            Message::result(r).send();
            0
        }
        Err(error) => {
            Message::error(error).send();
            1
        }
    }
}
