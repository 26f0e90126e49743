"""The outbox to the provincial platform and e-supervision, and its dispatcher."""

from exchange.outbox.admin import dead_letters, outbox_status, retry_dead
from exchange.outbox.dispatcher import Dispatcher, backoff
from exchange.outbox.queue import TARGETS, Message, enqueue
from exchange.outbox.settings import DispatchOptions, OutboxSettings
from exchange.outbox.transport import (
    HttpReceiver,
    Receiver,
    SendResult,
    bearer_auth,
    province_auth,
)

__all__ = [
    "TARGETS",
    "DispatchOptions",
    "Dispatcher",
    "HttpReceiver",
    "Message",
    "OutboxSettings",
    "Receiver",
    "SendResult",
    "backoff",
    "bearer_auth",
    "dead_letters",
    "enqueue",
    "outbox_status",
    "province_auth",
    "retry_dead",
]
