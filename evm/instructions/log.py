"""Logs: LOG0..LOG4 append (address, topics, data) to the frame's logs, kept only on success."""

from collections.abc import Callable

from evm.errors import StaticWrite
from evm.frame import Frame
from evm.gas import GAS_LOG_DATA
from evm.instructions.common import charge, expand_memory


def make_log(topic_count: int) -> Callable[[Frame], None]:
    """LOGn: (offset, size, topic1..topicn). Static gas (375 + 375 per topic) is in the table."""

    def log(frame: Frame) -> None:
        # STACK
        stack = frame.stack
        offset = stack.pop()
        size = stack.pop()
        topics = tuple(stack.pop().to_bytes(32, "big") for _ in range(topic_count))
        # GAS
        charge(frame, GAS_LOG_DATA * size)
        expand_memory(frame, offset, size)
        if frame.message.is_static:
            raise StaticWrite
        # OPERATION
        data = bytes(frame.memory[offset : offset + size])
        frame.logs.append((frame.message.target, topics, data))

    log.__name__ = log.__qualname__ = f"log{topic_count}"
    return log
