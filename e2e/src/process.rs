//! Child processes that are stopped when the test lets go of them, and waiting for ports.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// A running child process, stopped (SIGTERM, then SIGKILL after a grace period) and reaped on
/// drop so no test leaves a server behind.
#[derive(Debug)]
pub struct ChildGuard {
    name: String,
    child: Option<Child>,
    grace: Duration,
}

impl ChildGuard {
    /// Spawns `cmd`, naming the process `name` in errors.
    pub fn spawn(name: &str, cmd: &mut Command) -> Result<ChildGuard> {
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {name}: {cmd:?}"))?;
        Ok(ChildGuard {
            name: name.to_string(),
            child: Some(child),
            grace: Duration::from_secs(5),
        })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Sends `signal` to the child.
    pub fn signal(&self, signal: Signal) -> Result<()> {
        let pid = i32::try_from(self.pid()).context("process id out of range")?;
        kill(Pid::from_raw(pid), signal)
            .with_context(|| format!("sending {signal} to {} (pid {pid})", self.name))
    }

    /// Errors if the child has already exited (e.g. a server that failed to start).
    pub fn check_running(&mut self) -> Result<()> {
        let Some(child) = self.child.as_mut() else {
            bail!("{} was already stopped", self.name);
        };
        match child
            .try_wait()
            .with_context(|| format!("polling {}", self.name))?
        {
            Some(status) => bail!("{} exited early with {status}", self.name),
            None => Ok(()),
        }
    }

    /// The child's exit status if it has exited (reaping it), `None` while it runs.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        let Some(child) = self.child.as_mut() else {
            bail!("{} was already stopped", self.name);
        };
        child
            .try_wait()
            .with_context(|| format!("polling {}", self.name))
    }

    /// Stops the child: SIGTERM, wait up to the grace period, then SIGKILL; returns its status.
    pub fn stop(&mut self) -> Result<ExitStatus> {
        let Some(mut child) = self.child.take() else {
            bail!("{} was already stopped", self.name);
        };
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if let Ok(pid) = i32::try_from(child.id()) {
            // Ignored: the child may exit between try_wait and kill.
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        let deadline = Instant::now() + self.grace;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child
            .kill()
            .with_context(|| format!("killing {}", self.name))?;
        child
            .wait()
            .with_context(|| format!("waiting for {}", self.name))
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.child.is_some() {
            // Errors here cannot be reported to a test any more; the kill was best effort.
            let _ = self.stop();
        }
    }
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`, for at most `timeout`.
pub fn wait_for_port(port: u16, timeout: Duration) -> Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + timeout;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!("nothing accepted connections on {addr} within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
