//! The few system calls that std, tokio and nix's safe API do not cover:
//! creating the pseudo-terminal pair close-on-exec from the start, the
//! window-size ioctl, and the child-side setup that makes the terminal the
//! child's controlling terminal. All `unsafe` of the crate lives here.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use nix::fcntl::OFlag;
use nix::libc;
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::stat::Mode;

use crate::{PtyError, WindowSize};

nix::ioctl_write_ptr_bad!(
    /// `ioctl(fd, TIOCSWINSZ, &winsize)`: set a terminal's window size.
    tiocswinsz,
    libc::TIOCSWINSZ,
    libc::winsize
);

nix::ioctl_write_int_bad!(
    /// `ioctl(fd, TIOCSCTTY, arg)`: make the terminal the caller's controlling terminal.
    tiocsctty,
    libc::TIOCSCTTY
);

nix::ioctl_read_bad!(
    /// `ioctl(fd, TIOCGWINSZ, &mut winsize)`: read a terminal's window size.
    tiocgwinsz,
    libc::TIOCGWINSZ,
    libc::winsize
);

/// Both ends of a new pseudo-terminal.
pub(crate) struct PtyPair {
    /// The master end: non-blocking and close-on-exec.
    pub(crate) master: OwnedFd,
    /// The slave end: blocking (the child's stdio) and close-on-exec.
    pub(crate) slave: OwnedFd,
}

/// Opens a pseudo-terminal pair with `size` already applied.
///
/// Unlike `openpty(3)`, both descriptors are created with `O_CLOEXEC`, so a
/// child spawned concurrently by another thread of this process can never
/// inherit them.
pub(crate) fn open_pty(size: WindowSize) -> Result<PtyPair, PtyError> {
    let open_err = |step: &'static str| {
        move |e: nix::Error| PtyError::Open {
            step,
            source: io::Error::from(e),
        }
    };
    let master =
        posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
            .map_err(open_err("posix_openpt"))?;
    grantpt(&master).map_err(open_err("grantpt"))?;
    unlockpt(&master).map_err(open_err("unlockpt"))?;
    let slave_path = ptsname_r(&master).map_err(open_err("ptsname_r"))?;
    let slave = nix::fcntl::open(
        slave_path.as_str(),
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(open_err("open slave"))?;
    // SAFETY: `into_raw_fd` hands over sole ownership of a valid, open
    // descriptor, which the new `OwnedFd` takes over (closing it on drop).
    let master = unsafe { OwnedFd::from_raw_fd(master.into_raw_fd()) };
    set_window_size(master.as_fd(), size).map_err(|source| PtyError::Open {
        step: "TIOCSWINSZ",
        source,
    })?;
    Ok(PtyPair { master, slave })
}

/// Sets the window size of the terminal behind `fd`; the kernel sends
/// `SIGWINCH` to the terminal's foreground process group.
pub(crate) fn set_window_size(fd: BorrowedFd<'_>, size: WindowSize) -> io::Result<()> {
    let winsize = libc::winsize {
        ws_row: size.rows,
        ws_col: size.cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: `fd` is an open descriptor borrowed for the duration of the
    // call and `winsize` is a properly initialised `struct winsize` that
    // outlives it; TIOCSWINSZ only reads through the pointer.
    unsafe { tiocswinsz(fd.as_raw_fd(), &winsize) }
        .map(drop)
        .map_err(io::Error::from)
}

/// Reads the window size of the terminal behind `fd`.
pub(crate) fn window_size(fd: BorrowedFd<'_>) -> io::Result<WindowSize> {
    let mut winsize = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: `fd` is an open descriptor borrowed for the duration of the
    // call and `winsize` is a writable `struct winsize` that outlives it;
    // TIOCGWINSZ writes exactly one such struct.
    unsafe { tiocgwinsz(fd.as_raw_fd(), &mut winsize) }.map_err(io::Error::from)?;
    Ok(WindowSize {
        cols: winsize.ws_col,
        rows: winsize.ws_row,
    })
}

/// Runs in the forked child just before `exec`: a new session whose
/// controlling terminal is `slave`, and every descriptor above stderr marked
/// close-on-exec (descriptors this process inherited without `O_CLOEXEC`
/// would otherwise leak into the child).
///
/// Only async-signal-safe system calls are made here, and nothing allocates:
/// `setsid`, `ioctl`, `close_range`, and `io::Error::from_raw_os_error`.
pub(crate) fn child_setup(slave: RawFd) -> io::Result<()> {
    nix::unistd::setsid().map_err(io::Error::from)?;
    // SAFETY: `slave` is the slave end, open in the child because the parent
    // holds it until the spawn has finished (fork duplicates it; close-on-exec
    // closes it only at exec). TIOCSCTTY takes an integer, not a pointer.
    unsafe { tiocsctty(slave, 0) }.map_err(io::Error::from)?;
    mark_inherited_fds_cloexec();
    Ok(())
}

#[cfg(target_os = "linux")]
fn mark_inherited_fds_cloexec() {
    // SAFETY: a raw system call with integer arguments only. On kernels
    // without close_range/CLOSE_RANGE_CLOEXEC (before 5.11) it fails and is
    // ignored: every descriptor this crate opens is close-on-exec anyway.
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3 as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn mark_inherited_fds_cloexec() {}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};

    #[test]
    fn both_ends_are_close_on_exec_and_only_master_is_nonblocking() {
        let pair = open_pty(WindowSize {
            cols: 100,
            rows: 30,
        })
        .unwrap();
        for fd in [&pair.master, &pair.slave] {
            let fd_flags = FdFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFD).unwrap());
            assert!(fd_flags.contains(FdFlag::FD_CLOEXEC));
        }
        let master_fl = OFlag::from_bits_truncate(fcntl(&pair.master, FcntlArg::F_GETFL).unwrap());
        let slave_fl = OFlag::from_bits_truncate(fcntl(&pair.slave, FcntlArg::F_GETFL).unwrap());
        assert!(master_fl.contains(OFlag::O_NONBLOCK));
        assert!(!slave_fl.contains(OFlag::O_NONBLOCK));
        let expected = WindowSize {
            cols: 100,
            rows: 30,
        };
        assert_eq!(window_size(pair.slave.as_fd()).unwrap(), expected);
        let bigger = WindowSize {
            cols: 200,
            rows: 50,
        };
        set_window_size(pair.master.as_fd(), bigger).unwrap();
        assert_eq!(window_size(pair.slave.as_fd()).unwrap(), bigger);
    }
}
