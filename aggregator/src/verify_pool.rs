//! A fixed pool of verification threads fed by a bounded queue (docs/SERVICE.md "Verification pool"), so
//! the async HTTP loop never runs a proof check and a flood of submissions gets `429 queue_full` instead of
//! unbounded memory. Only authenticated submissions ([`Staged`]: envelope opened, ML-DSA signature checked,
//! one per clinic) are queued, so unauthenticated junk can never occupy a verification slot.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::coordinator::{Accepted, Coordinator, Staged};
use crate::error::{ApiError, Code};

/// One queued submission and where to send the verdict.
struct Job {
    staged: Staged,
    reply: oneshot::Sender<Result<Accepted, ApiError>>,
}

/// The pool. Dropping it (after [`VerifyPool::shutdown`]) lets queued jobs finish, then joins the workers.
pub struct VerifyPool {
    queue: Mutex<Option<SyncSender<Job>>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl VerifyPool {
    /// Starts `workers` threads sharing a queue of `capacity` waiting jobs.
    pub fn start(
        coordinator: Arc<Coordinator>,
        workers: usize,
        capacity: usize,
    ) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel::<Job>(capacity);
        let rx = Arc::new(Mutex::new(rx));
        let mut handles = Vec::with_capacity(workers);
        for i in 0..workers.max(1) {
            let (rx, c) = (Arc::clone(&rx), Arc::clone(&coordinator));
            handles.push(
                std::thread::Builder::new()
                    .name(format!("verify-{i}"))
                    .spawn(move || worker(&rx, &c))?,
            );
        }
        Ok(Self {
            queue: Mutex::new(Some(tx)),
            workers: Mutex::new(handles),
        })
    }

    /// Queues an authenticated submission; `429 queue_full` if every slot is taken, `503` after shutdown
    /// began.
    pub fn submit(
        &self,
        staged: Staged,
    ) -> Result<oneshot::Receiver<Result<Accepted, ApiError>>, ApiError> {
        let (reply, rx) = oneshot::channel();
        let guard = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(tx) = guard.as_ref() else {
            return Err(ApiError::new(
                Code::ShuttingDown,
                "the server is shutting down; retry against the restarted server",
            ));
        };
        match tx.try_send(Job { staged, reply }) {
            Ok(()) => Ok(rx),
            Err(TrySendError::Full(_)) => Err(ApiError::new(
                Code::QueueFull,
                "the verification queue is full; retry in a few seconds",
            )),
            Err(TrySendError::Disconnected(_)) => Err(ApiError::new(
                Code::ShuttingDown,
                "the verification workers have stopped",
            )),
        }
    }

    /// Stops taking jobs, lets the queued ones finish and joins the workers.
    pub fn shutdown(&self) {
        drop(
            self.queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        let handles = std::mem::take(
            &mut *self
                .workers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for h in handles {
            let _ = h.join();
        }
    }
}

fn worker(rx: &Mutex<Receiver<Job>>, coordinator: &Coordinator) {
    loop {
        let job = {
            let guard = rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            guard.recv()
        };
        let Ok(job) = job else { return };
        let verdict = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            coordinator.verify_staged(&job.staged)
        }))
        .unwrap_or_else(|_| Err(ApiError::internal("verification worker panicked")));
        // The clinic's slot is freed before the verdict is sent, so a retry after the answer finds it free.
        drop(job.staged);
        // The requester may have gone away; its verdict is stored regardless.
        let _ = job.reply.send(verdict);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coordinator::testkit::opened;

    #[test]
    fn a_full_queue_answers_queue_full_and_queued_jobs_still_finish() {
        let c = Arc::new(opened());
        let pool = VerifyPool::start(Arc::clone(&c), 1, 1).expect("pool");
        let stage = |e: String| {
            c.authenticate(crate::round::RoundId(1), e.as_bytes())
                .expect("authenticates")
        };
        let first = pool
            .submit(stage("1 1 slow 1".into()))
            .expect("first is queued");
        let results: Vec<_> = (2..=4)
            .map(|i| pool.submit(stage(format!("{i} 1 slow 1"))))
            .collect();
        assert!(
            results
                .iter()
                .any(|r| r.as_ref().err().map(|e| e.code) == Some(Code::QueueFull))
        );
        assert_eq!(
            first
                .blocking_recv()
                .ok()
                .and_then(Result::ok)
                .map(|a| a.clinic_id),
            Some(crate::round::ClinicId(1))
        );
        for rx in results.into_iter().flatten() {
            assert!(rx.blocking_recv().is_ok_and(|v| v.is_ok()));
        }
        pool.shutdown();
        assert_eq!(
            pool.submit(stage("5 1 ok 1".into())).err().map(|e| e.code),
            Some(Code::ShuttingDown)
        );
    }
}
