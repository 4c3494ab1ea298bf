//! Where a benchmark run puts its namespaces and files. The driver benchmark keeps its fixed
//! names (`zfbench-a`, `/tmp/zfbench-*`); the peer benchmark uses namespaces of its own, so the
//! two never sweep each other's processes, and a private directory it removes at the end.

use std::path::Path;
use std::sync::OnceLock;

pub(crate) struct Place {
    pub(crate) ns_a: String,
    pub(crate) ns_b: String,
    pub(crate) socket: String,
    pub(crate) daemon_log: String,
    /// The daemon's `--policy-file` (never the host's stored policy).
    pub(crate) policy_file: String,
    /// The engine's data directory and rule file live under here; removed by every sweep.
    pub(crate) engine_dir: String,
    /// Headless mode's stderr, all runs appended.
    pub(crate) headless_log: String,
}

static PLACE: OnceLock<Place> = OnceLock::new();

impl Place {
    /// Namespaces `PREFIX-a` and `PREFIX-b`, files in `dir` named `PREFIX-*`.
    fn new(prefix: &str, dir: &Path) -> Place {
        let file = |name: &str| {
            dir.join(format!("{prefix}-{name}"))
                .to_string_lossy()
                .into_owned()
        };
        Place {
            ns_a: format!("{prefix}-a"),
            ns_b: format!("{prefix}-b"),
            socket: file("daemon.sock"),
            daemon_log: file("daemon.log"),
            policy_file: file("policy"),
            engine_dir: file("engine"),
            headless_log: file("headless.log"),
        }
    }
}

/// Sets this process's place once, before any use; later calls keep the first.
pub(crate) fn settle(prefix: &str, dir: &Path) -> &'static Place {
    PLACE.get_or_init(|| Place::new(prefix, dir))
}

/// The place of this run: the driver benchmark's unless [`settle`] chose another.
pub(crate) fn place() -> &'static Place {
    PLACE.get_or_init(|| Place::new("zfbench", Path::new("/tmp")))
}
