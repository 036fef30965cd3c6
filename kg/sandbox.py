"""Taking the network away from a process that runs untrusted queries.

pyoxigraph executes ``SERVICE`` with its own native HTTP client, which no Python-level hook
can see or stop. Rather than trust a parser to spot every spelling of ``SERVICE``, a process
that evaluates queries for others moves itself into a new, empty network namespace (Linux
``unshare(CLONE_NEWNET)``): it then has only a loopback device that is down, so no socket it
opens can reach any host, the machine's own 127.0.0.1 included. Sockets and pipes opened
before the move (the pipe to the parent, a listening socket) keep working.

As root (or with CAP_SYS_ADMIN) a plain network namespace is made; otherwise a user
namespace is made with it, which most Linux kernels allow to unprivileged users. Where
neither is possible (another OS, a locked-down container) :func:`isolate_network` says so
and the query guard in :mod:`kg.sparql` is the only layer.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
import sys

__all__ = ["NONE", "isolate_network", "network_is_isolated"]

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
NONE = "none"


def _unshare(flags: int) -> int:
    """0 on success, else the errno of ``unshare(flags)``."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.unshare(ctypes.c_int(flags)) == 0:
        return 0
    return ctypes.get_errno() or -1


def network_is_isolated() -> bool:
    """True when this process sees no network device but the loopback one."""
    try:
        return [name for _, name in socket.if_nameindex()] == ["lo"]
    except OSError:
        return False


def isolate_network() -> str:
    """Move this process into an empty network namespace; say how, or :data:`NONE`.

    Call it after the process has opened every file and socket it needs from outside.
    """
    if not sys.platform.startswith("linux"):
        return NONE
    if network_is_isolated():
        return "network namespace"
    attempts = [(_CLONE_NEWNET, "network namespace")]
    if os.geteuid() != 0:
        attempts.insert(0, (_CLONE_NEWUSER | _CLONE_NEWNET, "user and network namespace"))
    for flags, how in attempts:
        if _unshare(flags) == 0 and network_is_isolated():
            return how
    return NONE
