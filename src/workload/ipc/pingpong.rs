//! One-byte ping-pong over a pair of byte streams, the role of both ends of `pipe` (two pipes)
//! and `socket` (one socketpair): the initiator writes and waits for the echo; the responder echoes
//! until it reads the stop byte, which it echoes too so the initiator knows it is done.

use std::io::{Read, Write};

use super::{Ends, IpcError, STOP};
use crate::metrics::CpuSampler;
use crate::workload::{Channel, Clock, Job, Ran, Stop, WorkerCtx, WorkloadError};

/// Round trips between two looks at the clock.
const BATCH: u64 = 16;

struct PingPong {
    ends: Ends,
    /// Index of the end this worker writes to and the one it reads from.
    tx: usize,
    rx: usize,
    initiator: bool,
}

impl PingPong {
    fn ping(&mut self, stop: Stop, sampler: &mut CpuSampler) -> Result<Ran, IpcError> {
        let clock = Clock::start(stop);
        let mut ops = 0u64;
        let mut byte = [0u8; 1];
        let (tx, rx) = (self.tx, self.rx);
        loop {
            if ops.is_multiple_of(BATCH) {
                sampler.sample();
                if clock.done(ops) {
                    break;
                }
            }
            (&self.ends.files[tx])
                .write_all(&[1])
                .map_err(self.ends.io("writing"))?;
            (&self.ends.files[rx])
                .read_exact(&mut byte)
                .map_err(self.ends.io("reading"))?;
            ops += 1;
        }
        let seconds = clock.seconds();
        (&self.ends.files[tx])
            .write_all(&[STOP])
            .map_err(self.ends.io("writing"))?;
        (&self.ends.files[rx])
            .read_exact(&mut byte)
            .map_err(self.ends.io("reading"))?;
        Ok(Ran { ops, seconds })
    }

    fn echo(&mut self, sampler: &mut CpuSampler) -> Result<Ran, IpcError> {
        let clock = Clock::start(Stop::default());
        let mut ops = 0u64;
        let mut byte = [0u8; 1];
        let (tx, rx) = (self.tx, self.rx);
        loop {
            (&self.ends.files[rx])
                .read_exact(&mut byte)
                .map_err(self.ends.io("reading"))?;
            (&self.ends.files[tx])
                .write_all(&byte)
                .map_err(self.ends.io("writing"))?;
            if byte[0] == STOP {
                break;
            }
            ops += 1;
            if ops.is_multiple_of(BATCH) {
                sampler.sample();
            }
        }
        Ok(Ran {
            ops,
            seconds: clock.seconds(),
        })
    }
}

impl Job for PingPong {
    fn run(&mut self, stop: Stop, sampler: &mut CpuSampler) -> Result<Ran, WorkloadError> {
        Ok(if self.initiator {
            self.ping(stop, sampler)?
        } else {
            self.echo(sampler)?
        })
    }
}

/// An end holding two descriptors: it writes its first (initiator) or second (responder)
/// and reads the other.
pub(super) fn over_two(
    ctx: WorkerCtx,
    channel: Channel,
    initiator: bool,
) -> Result<Box<dyn Job>, WorkloadError> {
    let (tx, rx) = if initiator { (0, 1) } else { (1, 0) };
    Ok(Box::new(PingPong {
        ends: Ends::take(ctx.worker, channel.fds, 2)?,
        tx,
        rx,
        initiator,
    }))
}

/// An end holding one descriptor that it both reads and writes.
pub(super) fn over_one(
    ctx: WorkerCtx,
    channel: Channel,
    initiator: bool,
) -> Result<Box<dyn Job>, WorkloadError> {
    Ok(Box::new(PingPong {
        ends: Ends::take(ctx.worker, channel.fds, 1)?,
        tx: 0,
        rx: 0,
        initiator,
    }))
}
