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

    /// Whether the table was made dormant (its chains unhooked); `None` when it is missing.
    pub(crate) fn dormant(&self) -> io::Result<Option<bool>> {
        self.lock().nft.inet_table_dormant(&self.image.name)
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

    /// [`TableWriter::stop_queueing`] for the way out of a stuck stop, which must not wait
    /// for a thread stuck with the socket: an unowned table is then emptied through a new
    /// socket (a repair the watch had already begun may still put the queue rules back; the
    /// process ends right after, and `--queue-bypass` lets through what they queue); an owned
    /// one cannot be (`None`), and goes with the process.
    pub(crate) fn try_stop_queueing(&self) -> Option<io::Result<()>> {
        let mut socket = match self.nft.try_lock() {
            Ok(socket) => socket,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) if self.owned => return None,
            Err(TryLockError::WouldBlock) => {
                return Some(
                    Nftables::open()
                        .and_then(|mut nft| nft.flush_chains(&self.image.name, &QUEUE_CHAINS)),
                )
            }
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
    /// owned when `owned` and the kernel has table owners. Probes that hook nothing find out
    /// first what the kernel takes ([`choose`]), so the write itself is not refused.
    pub(crate) fn install(config: RuleConfig, owned: bool) -> io::Result<RuleTable> {
        let image = rules::compile(config)?;
        let mut nft = Nftables::open()?;
        let probe = rules::probe_table_name(config.queue);
        let choice = choose(owned, |owned, how| {
            nft.probe(&probe, owned, how, config.queue)
        })?;
        let rules = QueueRules {
            chains: &QUEUE_CHAINS,
            queue: config.queue,
            first: choice.queue_expression,
        };
        let queue_expression = nft.write_table(&image, choice.owned, rules)?;
        Ok(RuleTable {
            writer: Arc::new(TableWriter {
                image,
                queue: config.queue,
                owned: choice.owned,
                nft: Mutex::new(Socket {
                    nft,
                    queue_expression,
                }),
            }),
            queue_expression,
            unowned_because: choice.unowned_because,
        })
    }

    /// The socket that writes the table, for the watch and the stop.
    pub(crate) fn writer(&self) -> Arc<TableWriter> {
        Arc::clone(&self.writer)
    }
}

/// What the table is written as.
#[derive(Debug, PartialEq, Eq)]
struct Choice {
    owned: bool,
    queue_expression: QueueExpression,
    unowned_because: Option<String>,
}

/// Decides how the table is written from what `probe` (owned or not, which queue
/// expression) says the kernel takes: owned when `owned` is asked for, with nft's own queue
/// where it is there (Debian's kernel has it, as a module), else the xtables target.
///
/// The table goes unowned only when the kernel refuses the owner flag itself: the owned
/// probes fail, the same table without the flag is taken, and the owned probe, tried once more
/// with that expression, fails again. That is told by comparison, not by the errno, which
/// changed with the flag (before 5.12 an unknown table flag is `EINVAL`, from then on
/// `EOPNOTSUPP`). So a passing fault cannot quietly cost the table its protection for the
/// daemon's life, and a table the kernel takes in no form fails the start with what each probe
/// was told.
fn choose(
    owned: bool,
    mut probe: impl FnMut(bool, QueueExpression) -> io::Result<()>,
) -> io::Result<Choice> {
    let mut owned_refused = Vec::new();
    if owned {
        match first_taken(true, &mut probe) {
            Ok(how) => {
                return Ok(Choice {
                    owned: true,
                    queue_expression: how,
                    unowned_because: None,
                })
            }
            Err(said) => owned_refused = said,
        }
    }
    let how = first_taken(false, &mut probe).map_err(|unowned_refused| {
        let mut text = String::from("the kernel takes no rule table of ours");
        for (what, said) in [("owned", &owned_refused), ("unowned", &unowned_refused)] {
            if !said.is_empty() {
                text.push_str(&format!("; {what}: {}", describe(said)));
            }
        }
        let kind = unowned_refused
            .last()
            .map_or(io::ErrorKind::Other, |(_, e)| e.kind());
        io::Error::new(kind, text)
    })?;
    let unowned_because = if owned {
        if probe(true, how).is_ok() {
            return Ok(Choice {
                owned: true,
                queue_expression: how,
                unowned_because: None,
            });
        }
        format!(
            "the kernel refused the table owner flag (Linux 5.12): {}",
            describe(&owned_refused)
        )
    } else {
        "--unowned-table".to_string()
    };
    Ok(Choice {
        owned: false,
        queue_expression: how,
        unowned_because: Some(unowned_because),
    })
}

/// The first queue expression `probe` takes for a table owned or not, or what it said to each.
fn first_taken(
    owned: bool,
    probe: &mut impl FnMut(bool, QueueExpression) -> io::Result<()>,
) -> Result<QueueExpression, Vec<(QueueExpression, io::Error)>> {
    let mut said = Vec::new();
    for how in [QueueExpression::Native, QueueExpression::Compat] {
        match probe(owned, how) {
            Ok(()) => return Ok(how),
            Err(e) => said.push((how, e)),
        }
    }
    Err(said)
}

/// What each queue expression's probe was told.
fn describe(said: &[(QueueExpression, io::Error)]) -> String {
    said.iter()
        .map(|(how, e)| match how {
            QueueExpression::Native => format!("with nft's queue: {e}"),
            QueueExpression::Compat => format!("with the xtables NFQUEUE target: {e}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A kernel that answers each probe (owned, expression) with `answer`.
    fn kernel(
        answer: impl Fn(bool, QueueExpression) -> Option<i32>,
    ) -> impl FnMut(bool, QueueExpression) -> io::Result<()> {
        move |owned, how| match answer(owned, how) {
            None => Ok(()),
            Some(errno) => Err(io::Error::from_raw_os_error(errno)),
        }
    }

    use crate::errno::{EINVAL, ENOENT, EOPNOTSUPP, ETIMEDOUT};

    #[test]
    fn owned_with_nfts_queue_where_the_kernel_has_both() {
        let choice = choose(true, kernel(|_, _| None)).unwrap();
        assert_eq!(
            choice,
            Choice {
                owned: true,
                queue_expression: QueueExpression::Native,
                unowned_because: None
            }
        );
    }

    #[test]
    fn the_xtables_target_where_the_kernel_lacks_nfts_queue() {
        let no_nft_queue = kernel(|_, how| (how == QueueExpression::Native).then_some(ENOENT));
        let choice = choose(true, no_nft_queue).unwrap();
        assert!(choice.owned && choice.unowned_because.is_none());
        assert_eq!(choice.queue_expression, QueueExpression::Compat);
    }

    #[test]
    fn unowned_only_where_the_kernel_refuses_the_owner_flag_itself_whatever_its_errno() {
        // Before 5.12 an unknown table flag is EINVAL (EOPNOTSUPP from 5.12, for flags it does
        // not know then): every owned probe is refused, the same table without it is taken.
        for errno in [EINVAL, EOPNOTSUPP] {
            let old = kernel(move |owned, how| {
                if owned {
                    Some(errno)
                } else {
                    (how == QueueExpression::Native).then_some(ENOENT)
                }
            });
            let choice = choose(true, old).unwrap();
            assert!(!choice.owned);
            assert_eq!(choice.queue_expression, QueueExpression::Compat);
            let because = choice.unowned_because.unwrap();
            assert!(because.contains("owner flag"), "{because}");
        }
        // A passing fault of the owned probes: tried once more, and owned after all.
        let mut faults = 2;
        let passing = |owned: bool, _| {
            if owned && faults > 0 {
                faults -= 1;
                return Err(io::Error::from_raw_os_error(ETIMEDOUT));
            }
            Ok(())
        };
        let choice = choose(true, passing).unwrap();
        assert!(choice.owned, "{choice:?}");
        // Asked for: unowned, and never probed owned.
        let choice = choose(false, kernel(|owned, _| owned.then_some(ETIMEDOUT))).unwrap();
        assert!(!choice.owned);
        assert_eq!(choice.unowned_because.as_deref(), Some("--unowned-table"));
    }

    #[test]
    fn a_kernel_that_takes_no_table_of_ours_fails_the_start_saying_what_each_probe_got() {
        let neither = kernel(|owned, how| {
            Some(match (owned, how) {
                (true, _) => EINVAL,
                (false, QueueExpression::Native) => ENOENT,
                (false, QueueExpression::Compat) => ETIMEDOUT,
            })
        });
        let error = choose(true, neither).unwrap_err().to_string();
        for said in [
            "owned: with nft's queue: Invalid argument",
            "unowned: with nft's queue: No such file",
            "with the xtables NFQUEUE target: Connection timed out",
        ] {
            assert!(error.contains(said), "{said}: {error}");
        }
    }
}
