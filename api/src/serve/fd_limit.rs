//! Room for `OMI_MAX_CONNECTIONS`: every connection is a file descriptor, and the usual soft limit (1,024) is
//! far below the default maximum. The soft limit is raised toward the hard one at start-up.

/// Descriptors kept for everything that is not a client connection: the database pool, the SQLite files,
/// outgoing HTTP to language and speech services, logs.
const RESERVED: usize = 256;

/// Raises this process's soft limit on open files so that `max_connections` fit, as far as the hard limit
/// allows, and warns when they do not.
pub fn make_room(max_connections: usize) {
    #[cfg(unix)]
    {
        let wanted = libc::rlim_t::try_from(max_connections.saturating_add(RESERVED))
            .unwrap_or(libc::RLIM_INFINITY);
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read or write the struct passed to them.
        let read = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        if read != 0 {
            return;
        }
        if limit.rlim_cur < wanted {
            let raised = libc::rlimit {
                rlim_cur: wanted.min(limit.rlim_max),
                rlim_max: limit.rlim_max,
            };
            // SAFETY: as above.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit = raised;
            }
        }
        let room = usize::try_from(limit.rlim_cur)
            .unwrap_or(usize::MAX)
            .saturating_sub(RESERVED);
        if room < max_connections {
            tracing::warn!(
                open_files = room + RESERVED,
                max_connections,
                "the open-file limit leaves room for only {room} connections; raise it (ulimit -n) or lower \
                 OMI_MAX_CONNECTIONS, else connections past it wait unanswered"
            );
        }
    }
}
