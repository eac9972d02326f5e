//! `ipc:queue`: producers (workers 1..n) send 64-byte messages down one pipe to one consumer
//! (worker 0), as `multiprocessing.Queue` does. Writes of at most `PIPE_BUF` bytes are atomic,
//! so messages never interleave. The consumer's count is the result.

use std::io::{Read, Write};

use super::hub::HubTransport;
use super::{Ends, IpcError, STOP, open_pipe, twin};
use crate::metrics::CpuSampler;
use crate::workload::{Channel, Clock, Job, Ran, Stop, Unit, WorkerCtx, WorkloadError};

/// Bytes per message.
const MSG: usize = 64;
/// Messages between two looks at the clock.
const BATCH: u64 = 16;

struct Producer {
    ends: Ends,
}

struct Consumer {
    ends: Ends,
    producers: usize,
}

impl Job for Producer {
    fn run(&mut self, stop: Stop, sampler: &mut CpuSampler) -> Result<Ran, WorkloadError> {
        let clock = Clock::start(stop);
        let mut ops = 0u64;
        let mut msg = [0u8; MSG];
        msg[1..9].copy_from_slice(&(self.ends.worker as u64).to_le_bytes());
        let mut out = &self.ends.files[0];
        loop {
            if ops.is_multiple_of(BATCH) {
                sampler.sample();
                if clock.done(ops) {
                    break;
                }
            }
            out.write_all(&msg).map_err(self.ends.io("sending"))?;
            ops += 1;
        }
        let seconds = clock.seconds();
        msg[0] = STOP;
        out.write_all(&msg).map_err(self.ends.io("sending"))?;
        Ok(Ran { ops, seconds })
    }
}

impl Job for Consumer {
    fn run(&mut self, _: Stop, sampler: &mut CpuSampler) -> Result<Ran, WorkloadError> {
        let clock = Clock::start(Stop::default());
        let mut ops = 0u64;
        let mut stops = 0usize;
        let mut buf = vec![0u8; MSG * 256];
        let mut pending = 0usize; // bytes of a partial message at the start of buf
        while stops < self.producers {
            let n = (&self.ends.files[0])
                .read(&mut buf[pending..])
                .map_err(self.ends.io("receiving"))?;
            if n == 0 {
                return Err(IpcError::PeerGone {
                    worker: self.ends.worker,
                }
                .into());
            }
            let total = pending + n;
            let whole = total / MSG;
            for m in 0..whole {
                if buf[m * MSG] == STOP {
                    stops += 1;
                } else {
                    ops += 1;
                }
            }
            pending = total % MSG;
            buf.copy_within(whole * MSG..total, 0);
            sampler.sample();
        }
        Ok(Ran {
            ops,
            seconds: clock.seconds(),
        })
    }
}

pub static QUEUE: HubTransport = HubTransport {
    name: "ipc:queue",
    label: "queue",
    unit: Unit::Messages,
    hub: "consumer",
    hub_counts: true,
    connect,
    start,
};

/// One pipe: the consumer holds its read end, every producer a copy of its write end.
fn connect(workers: usize) -> Result<Vec<Channel>, WorkloadError> {
    let (r, w) = open_pipe()?;
    let mut out = vec![Channel {
        fds: vec![r],
        shared: None,
    }];
    for _ in 1..workers {
        out.push(Channel {
            fds: vec![twin(&w, "a queue writer")?],
            shared: None,
        });
    }
    Ok(out)
}

fn start(ctx: WorkerCtx, channel: Channel) -> Result<Box<dyn Job>, WorkloadError> {
    let ends = Ends::take(ctx.worker, channel.fds, 1)?;
    Ok(if ctx.worker == 0 {
        Box::new(Consumer {
            ends,
            producers: ctx.workers.saturating_sub(1),
        })
    } else {
        Box::new(Producer { ends })
    })
}
