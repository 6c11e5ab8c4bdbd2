//! Pinning a comparison to one CPU: the whole process, and on PostgreSQL the
//! server processes of its connections.
//!
//! Every statement hands work to another thread or process and waits for it:
//! sqlx runs each SQLite connection on its own worker thread, and each
//! PostgreSQL connection is served by its own backend process. When that
//! thread or process sits on the CPU of the thread awaiting it, a hand-off is
//! a context switch; on the other CPU it is a wake-up across CPUs (an
//! inter-processor interrupt and an exit from idle, costly in this VM). Where
//! each one ran was decided early and stuck to the connection, whatever code
//! ran on it: on SQLite the same hand-written sqlx measured up to 4x apart on
//! two connections of one comparison; on PostgreSQL the same point query took
//! ~15 us on one connection and 50-70 us on another. Pinned to one CPU, every
//! connection of every contender is in the same place (BENCHMARKS.md,
//! "How it measures").

/// Every thread of the process pinned to one CPU until dropped; threads
/// started meanwhile (SQLite workers) inherit the pin. Dropping restores each
/// thread's earlier CPU set.
pub struct Pinned {
    cpu: usize,
    saved: Vec<(libc::pid_t, libc::cpu_set_t)>,
}

impl Pinned {
    /// Pins every thread to the CPU the caller runs on; `None` where that
    /// cannot be done (not Linux, no permission).
    pub fn to_current_cpu() -> Option<Pinned> {
        // SAFETY: plain libc calls on this process's own threads, with
        // properly sized and zero-initialised cpu_set_t buffers.
        unsafe {
            let cpu = libc::sched_getcpu();
            if cpu < 0 {
                return None;
            }
            let mut only: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu as usize, &mut only);
            let mut saved = Vec::new();
            for tid in threads() {
                let mut previous: libc::cpu_set_t = std::mem::zeroed();
                let size = std::mem::size_of::<libc::cpu_set_t>();
                if libc::sched_getaffinity(tid, size, &mut previous) != 0 {
                    continue;
                }
                if libc::sched_setaffinity(tid, size, &only) == 0 {
                    saved.push((tid, previous));
                }
            }
            (!saved.is_empty()).then_some(Pinned {
                cpu: cpu as usize,
                saved,
            })
        }
    }

    /// The CPU everything is pinned to.
    pub fn cpu(&self) -> usize {
        self.cpu
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        let before = self.saved[0].1;
        for tid in threads() {
            // Threads started while pinned get the set the first thread had.
            let previous = (self.saved.iter())
                .find(|(saved, _)| *saved == tid)
                .map_or(before, |(_, previous)| *previous);
            // SAFETY: as above; a thread that has exited in between makes this
            // fail harmlessly.
            unsafe {
                libc::sched_setaffinity(tid, size, &previous);
            }
        }
    }
}

/// Other processes (PostgreSQL backends) pinned to one CPU until dropped,
/// which restores the CPU set each had (a process that has exited since is
/// skipped).
pub struct PinnedProcesses {
    cpu: usize,
    saved: std::collections::HashMap<libc::pid_t, libc::cpu_set_t>,
}

impl PinnedProcesses {
    pub fn new(cpu: usize) -> PinnedProcesses {
        PinnedProcesses {
            cpu,
            saved: Default::default(),
        }
    }

    /// Pins `pid` (a single-threaded process) to the CPU. A process already
    /// pinned is left alone.
    pub fn pin(&mut self, pid: libc::pid_t) -> std::io::Result<()> {
        if self.saved.contains_key(&pid) {
            return Ok(());
        }
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: plain libc calls with properly sized, zero-initialised
        // cpu_set_t buffers.
        unsafe {
            let mut only: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(self.cpu, &mut only);
            let mut previous: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(pid, size, &mut previous) != 0
                || libc::sched_setaffinity(pid, size, &only) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            self.saved.insert(pid, previous);
        }
        Ok(())
    }

    /// How many processes are pinned.
    pub fn len(&self) -> usize {
        self.saved.len()
    }

    pub fn is_empty(&self) -> bool {
        self.saved.is_empty()
    }
}

impl Drop for PinnedProcesses {
    fn drop(&mut self) {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        for (pid, previous) in &self.saved {
            // SAFETY: as above; a process that has exited makes this fail
            // harmlessly.
            unsafe {
                libc::sched_setaffinity(*pid, size, previous);
            }
        }
    }
}

/// The ids of this process's threads.
fn threads() -> Vec<libc::pid_t> {
    std::fs::read_dir("/proc/self/task")
        .map(|dir| {
            dir.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The PostgreSQL backend processes serving every connection to one database,
/// pinned to one CPU until dropped. The server runs on this host; changing
/// another user's processes' CPU set needs root (or CAP_SYS_NICE).
pub struct PinnedBackends {
    /// A connection of its own to the database, to list the others.
    admin: sqlx::PgConnection,
    pinned: PinnedProcesses,
    /// Backends that could not be pinned, with why.
    failed: std::collections::HashMap<libc::pid_t, String>,
}

impl PinnedBackends {
    /// `None` if the database cannot be reached.
    pub async fn connect(url: &str, cpu: usize) -> Option<PinnedBackends> {
        use sqlx::Connection as _;
        let admin = sqlx::PgConnection::connect(url).await.ok()?;
        Some(PinnedBackends {
            admin,
            pinned: PinnedProcesses::new(cpu),
            failed: Default::default(),
        })
    }

    /// Pins every backend connected to the database now but this one's:
    /// the contenders' connections, each pool's included (the same as
    /// `SELECT pg_backend_pid()` on each of them), and the cleanup's.
    /// Backends pinned before are left as they are. Returns how many are
    /// pinned.
    pub async fn pin_all(&mut self) -> usize {
        let pids: Vec<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND backend_type = 'client backend'",
        )
        .fetch_all(&mut self.admin)
        .await
        .unwrap_or_default();
        for pid in pids {
            // Only a PostgreSQL process of this host (not a pid of another
            // namespace that names something else here).
            let Ok(comm) = std::fs::read_to_string(format!("/proc/{pid}/comm")) else {
                // Exited since the listing: a connection closed meanwhile.
                continue;
            };
            if comm.trim() != "postgres" {
                self.failed
                    .insert(pid, format!("/proc/{pid}/comm is {:?}", comm.trim()));
                continue;
            }
            if let Err(e) = self.pinned.pin(pid) {
                self.failed.insert(pid, e.to_string());
            }
        }
        self.pinned.len()
    }

    /// The `prepare` step for [`crate::compare`]: pins the backends opened
    /// since the last call (a pool's new connections) before every round.
    pub fn into_prepare(self) -> crate::Cleanup {
        let backends = std::sync::Arc::new(tokio::sync::Mutex::new(self));
        Box::new(move || -> crate::BoxFuture<'static, ()> {
            let backends = backends.clone();
            Box::pin(async move {
                backends.lock().await.pin_all().await;
            })
        })
    }

    /// The backends that could not be pinned, and why.
    pub fn failed(&self) -> &std::collections::HashMap<libc::pid_t, String> {
        &self.failed
    }
}
