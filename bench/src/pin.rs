//! Pinning the whole process to one CPU for a comparison.
//!
//! sqlx runs each SQLite connection on its own worker thread. Whether that
//! thread sits on the CPU of the thread awaiting it (a hand-off is a context
//! switch) or on the other one (a wake-up across CPUs, costly in this VM)
//! was decided early and stuck to the connection: the same hand-written
//! sqlx measured up to 4x apart on two connections of one comparison. Pinned
//! to one CPU, every connection is in the same place (BENCHMARKS.md, "The
//! order effect").

/// Every thread of the process pinned to one CPU until dropped; threads
/// started meanwhile (SQLite workers) inherit the pin. Dropping restores each
/// thread's earlier CPU set.
pub struct Pinned {
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
            (!saved.is_empty()).then_some(Pinned { saved })
        }
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

/// The ids of this process's threads.
fn threads() -> Vec<libc::pid_t> {
    std::fs::read_dir("/proc/self/task")
        .map(|dir| {
            dir.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}
