//! SIGINT and SIGTERM, heard once for the whole process: a sweep stops between runs and a traced
//! program's tree is killed. Below every module that waits on something long.

/// Set by SIGINT/SIGTERM to the exit status they call for; the sweep stops between runs.
pub fn interruption() -> &'static std::sync::Arc<std::sync::atomic::AtomicUsize> {
    static FLAG: std::sync::OnceLock<std::sync::Arc<std::sync::atomic::AtomicUsize>> =
        std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let _ = signal_hook::flag::register_usize(signal_hook::consts::SIGINT, flag.clone(), 130);
        let _ = signal_hook::flag::register_usize(signal_hook::consts::SIGTERM, flag.clone(), 143);
        flag
    })
}

pub fn interrupted() -> Option<i32> {
    match interruption().load(std::sync::atomic::Ordering::SeqCst) {
        0 => None,
        code => Some(code as i32),
    }
}
