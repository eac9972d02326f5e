//! `ipc:server`: clients (workers 1..n) send requests to one server worker (worker 0) over their
//! own sockets and wait for each reply, as calls through a `multiprocessing.Manager` do. The
//! clients' round trips are the result.

use std::io::{Read, Write};
use std::os::fd::AsFd;

use super::hub::HubTransport;
use super::{Ends, IpcError, socketpair};
use crate::metrics::CpuSampler;
use crate::workload::{Channel, Clock, Job, Ran, Stop, Unit, WorkerCtx, WorkloadError};

/// Requests between two looks at the clock.
const BATCH: u64 = 16;
/// The request that says a client is done.
const DONE: u64 = u64::MAX;

struct Client {
    ends: Ends,
}

struct Hub {
    ends: Ends,
}

impl Job for Client {
    fn run(&mut self, stop: Stop, sampler: &mut CpuSampler) -> Result<Ran, WorkloadError> {
        let clock = Clock::start(stop);
        let mut ops = 0u64;
        let mut reply = [0u8; 8];
        let mut sock = &self.ends.files[0];
        loop {
            if ops.is_multiple_of(BATCH) {
                sampler.sample();
                if clock.done(ops) {
                    break;
                }
            }
            sock.write_all(&ops.to_le_bytes())
                .map_err(self.ends.io("requesting"))?;
            sock.read_exact(&mut reply)
                .map_err(self.ends.io("awaiting a reply"))?;
            ops += 1;
        }
        let seconds = clock.seconds();
        sock.write_all(&DONE.to_le_bytes())
            .map_err(self.ends.io("requesting"))?;
        Ok(Ran { ops, seconds })
    }
}

impl Job for Hub {
    fn run(&mut self, _: Stop, sampler: &mut CpuSampler) -> Result<Ran, WorkloadError> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let clock = Clock::start(Stop::default());
        let mut ops = 0u64;
        let files = &self.ends.files;
        let mut open: Vec<bool> = vec![true; files.len()];
        let mut request = [0u8; 8];
        while open.iter().any(|o| *o) {
            let ready: Vec<usize> = {
                let mut fds: Vec<PollFd> = files
                    .iter()
                    .map(|f| PollFd::new(f.as_fd(), PollFlags::POLLIN))
                    .collect();
                poll(&mut fds, PollTimeout::NONE).map_err(|e| IpcError::Io {
                    worker: self.ends.worker,
                    what: "polling clients",
                    source: e.into(),
                })?;
                fds.iter()
                    .enumerate()
                    .filter(|(i, f)| open[*i] && f.any().unwrap_or(false))
                    .map(|(i, _)| i)
                    .collect()
            };
            for i in ready {
                let mut sock = &files[i];
                sock.read_exact(&mut request)
                    .map_err(self.ends.io("reading a request"))?;
                let value = u64::from_le_bytes(request);
                if value == DONE {
                    open[i] = false;
                    continue;
                }
                sock.write_all(&value.wrapping_add(1).to_le_bytes())
                    .map_err(self.ends.io("replying"))?;
                ops += 1;
            }
            sampler.sample();
        }
        Ok(Ran {
            ops,
            seconds: clock.seconds(),
        })
    }
}

pub static SERVER: HubTransport = HubTransport {
    name: "ipc:server",
    label: "server",
    unit: Unit::RoundTrips,
    hub: "server",
    hub_counts: false,
    connect,
    start,
};

/// A socketpair per client: the server holds one end of each, the client the other.
fn connect(workers: usize) -> Result<Vec<Channel>, WorkloadError> {
    let mut out: Vec<Channel> = (0..workers).map(|_| Channel::default()).collect();
    for client in 1..workers {
        let (server_end, client_end) = socketpair()?;
        out[0].fds.push(server_end);
        out[client].fds.push(client_end);
    }
    Ok(out)
}

fn start(ctx: WorkerCtx, channel: Channel) -> Result<Box<dyn Job>, WorkloadError> {
    Ok(if ctx.worker == 0 {
        Box::new(Hub {
            ends: Ends::take(ctx.worker, channel.fds, ctx.workers - 1)?,
        })
    } else {
        Box::new(Client {
            ends: Ends::take(ctx.worker, channel.fds, 1)?,
        })
    })
}
