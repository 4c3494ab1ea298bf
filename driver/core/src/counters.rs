//! The Counters info (protocol README, "Counters"): what both drivers count, in the order the
//! protocol fixes, assembled in one place so the two cannot drift apart.

use alloc::vec;

use zenithfence_protocol::Counters;

use crate::info_queue::QueueCounters;

/// Counts a driver keeps besides its queue's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DriverTally {
    /// Connections given the default verdict because the queue to the client was full.
    pub queue_full_defaulted: u64,
    /// Requests answered by the hold timeout.
    pub hold_timeouts: u64,
    /// Verdict commands applied.
    pub verdicts_applied: u64,
    /// Commands rejected (bad length, unknown id, unknown request).
    pub commands_rejected: u64,
}

/// The Counters info: queue and tally totals, then what is pending and cached now.
pub fn counters(
    queue: QueueCounters,
    tally: &DriverTally,
    pending: usize,
    cached: usize,
) -> Counters {
    Counters {
        values: vec![
            queue.queued,
            queue.statistics_dropped,
            tally.queue_full_defaulted,
            tally.hold_timeouts,
            tally.verdicts_applied,
            tally.commands_rejected,
            pending as u64,
            cached as u64,
            queue.essential_refused,
        ],
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use zenithfence_protocol::constants::counter;

    #[test]
    fn counters_follow_the_protocol_order() {
        let queue = QueueCounters {
            queued: 10,
            statistics_dropped: 2,
            requests_refused: 0,
            essential_refused: 1,
        };
        let tally = DriverTally {
            queue_full_defaulted: 3,
            hold_timeouts: 4,
            verdicts_applied: 5,
            commands_rejected: 6,
        };
        let values = counters(queue, &tally, 7, 8).values;
        assert_eq!(values[counter::INFOS_QUEUED], 10);
        assert_eq!(values[counter::STATS_DROPPED], 2);
        assert_eq!(values[counter::QUEUE_FULL_DEFAULTED], 3);
        assert_eq!(values[counter::HOLD_TIMEOUTS], 4);
        assert_eq!(values[counter::VERDICTS_APPLIED], 5);
        assert_eq!(values[counter::COMMANDS_REJECTED], 6);
        assert_eq!(values[counter::PENDING_NOW], 7);
        assert_eq!(values[counter::CACHE_ENTRIES], 8);
        assert_eq!(values[counter::COUNT], 1, "other infos refused, the ninth");
    }
}
