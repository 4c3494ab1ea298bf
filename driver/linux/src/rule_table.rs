//! The daemon's rule table in the kernel ([`RuleTable`]), and the one netlink socket every
//! change to it goes through ([`TableWriter`]), kept for the daemon's whole life.
//!
//! The table is written by that socket in one transaction, queue rules included, from the
//! image `rules::compile` made at the start (`nft_image.rs`), and owned by it
//! (`NFT_TABLE_F_OWNER`, Linux 5.12): no other program can change or delete it, `nft flush
//! ruleset` (which reloading Debian's `nftables.service` runs) passes it by, and the kernel
//! deletes it when the socket closes, at the daemon's end however it comes, even by SIGKILL.
//! Traffic then flows as with no firewall, as `--queue-bypass` made it flow before a killed
//! daemon's leftover was swept. A kernel that refuses the flag (before 5.12), or
//! `--unowned-table`, gets the same table unowned: other programs can then take it away, and
//! `rules_watch.rs` puts it back.
//!
//! The socket's mutex is a leaf (`daemon.rs`, "Locks"): nothing else is taken while it is held,
//! and it is held for one request and its answer.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};

use crate::nft_image::TableImage;
use crate::nft_netlink::{Nftables, QueueExpression, QueueRules};
use crate::rules::{self, RuleConfig, QUEUE_CHAINS};

/// The socket that writes the table, and what it writes.
pub(crate) struct TableWriter {
    image: TableImage,
    queue: u16,
    owned: bool,
    nft: Mutex<Socket>,
}

/// The socket, and the queue expression the kernel took last, tried first by a repair.
struct Socket {
    nft: Nftables,
    queue_expression: QueueExpression,
}

impl Socket {
    fn queue_rules(&self, queue: u16) -> QueueRules<'static> {
        QueueRules {
            chains: &QUEUE_CHAINS,
            queue,
            first: self.queue_expression,
        }
    }
}

impl TableWriter {
    fn lock(&self) -> MutexGuard<'_, Socket> {
        // A panicking holder left no half-sent request: each is one write.
        self.nft.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The table's name.
    pub(crate) fn name(&self) -> &str {
        &self.image.name
    }

    /// The chain of each rule of the table as it is now, one entry a rule.
    pub(crate) fn rule_chains(&self) -> io::Result<Vec<String>> {
        self.lock().nft.rule_chains(&self.image.name)
    }

    /// Puts back the queue rules alone (see `Nftables::set_queue_rules`).
    pub(crate) fn put_back_queue_rules(&self) -> io::Result<QueueExpression> {
        let mut socket = self.lock();
        let rules = socket.queue_rules(self.queue);
        let taken = socket.nft.set_queue_rules(&self.image.name, rules)?;
        socket.queue_expression = taken;
        Ok(taken)
    }

    /// Writes the whole table again, replacing whatever is left of it.
    pub(crate) fn rewrite(&self) -> io::Result<QueueExpression> {
        let mut socket = self.lock();
        let rules = socket.queue_rules(self.queue);
        let taken = socket.nft.write_table(&self.image, self.owned, rules)?;
        socket.queue_expression = taken;
        Ok(taken)
    }

    /// Stops queueing: the queue rules go, the rest stays to apply the verdicts of the
    /// packets still held.
    pub(crate) fn stop_queueing(&self) -> io::Result<()> {
        self.lock()
            .nft
            .flush_chains(&self.image.name, &QUEUE_CHAINS)
    }

    /// [`TableWriter::stop_queueing`] for the way out of a stuck stop, which must not wait:
    /// `None` while another thread holds the socket.
    pub(crate) fn try_stop_queueing(&self) -> Option<io::Result<()>> {
        let mut socket = match self.nft.try_lock() {
            Ok(socket) => socket,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return None,
        };
        Some(socket.nft.flush_chains(&self.image.name, &QUEUE_CHAINS))
    }

    /// Whether only this socket may change the table.
    pub(crate) fn owned(&self) -> bool {
        self.owned
    }
}

/// The installed table; dropping it deletes it.
pub(crate) struct RuleTable {
    writer: Arc<TableWriter>,
    /// What its queue rules queue with.
    pub(crate) queue_expression: QueueExpression,
    /// Why the table is not owned, when it is not.
    pub(crate) unowned_because: Option<String>,
}

impl RuleTable {
    /// Compiles and writes the table for `config`, queue rules included, in one transaction:
    /// owned when `owned` and the kernel takes it.
    pub(crate) fn install(config: RuleConfig, owned: bool) -> io::Result<RuleTable> {
        let image = rules::compile(config)?;
        let mut nft = Nftables::open()?;
        // nft's own queue first: Debian's kernel has it, as a module.
        let rules = QueueRules {
            chains: &QUEUE_CHAINS,
            queue: config.queue,
            first: QueueExpression::Native,
        };
        let mut unowned_because = (!owned).then(|| "--unowned-table".to_string());
        let mut written = Err(io::Error::other("not written"));
        if owned {
            written = nft.write_table(&image, true, rules);
            if let Err(e) = &written {
                unowned_because = Some(format!("the kernel refused an owned table ({e})"));
            }
        }
        if written.is_err() {
            written = nft.write_table(&image, false, rules);
        }
        let queue_expression = written?;
        Ok(RuleTable {
            writer: Arc::new(TableWriter {
                image,
                queue: config.queue,
                owned: unowned_because.is_none(),
                nft: Mutex::new(Socket {
                    nft,
                    queue_expression,
                }),
            }),
            queue_expression,
            unowned_because,
        })
    }

    /// The socket that writes the table, for the watch and the stop.
    pub(crate) fn writer(&self) -> Arc<TableWriter> {
        Arc::clone(&self.writer)
    }
}

impl Drop for RuleTable {
    /// Deletes the table. Only once no packet of ours can be answered any more: a block
    /// verdict given after it is gone would let its packet through. (An owned table would go
    /// with the socket anyway; an unowned one that cannot be deleted now goes at the next
    /// start's sweep.)
    fn drop(&mut self) {
        let _ = self.writer.lock().nft.delete_table(self.writer.name());
    }
}
