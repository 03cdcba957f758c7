"""Decode a Server-Sent Events body line by line (the load command and the API tests read streams with it)."""

from __future__ import annotations

import json
from typing import Any


class EventDecoder:
    """Feed it lines; it returns ``(event, data)`` when a blank line ends an event (``data`` parsed as JSON if it is)."""

    def __init__(self) -> None:
        self.event = "message"
        self.data: list[str] = []

    def feed(self, raw: str) -> tuple[str, Any] | None:
        line = raw.rstrip("\r\n")
        if line.startswith("event:"):
            self.event = line[6:].strip()
        elif line.startswith("data:"):
            self.data.append(line[5:].removeprefix(" "))
        elif not line:
            event, data = self.event, self.data
            self.event, self.data = "message", []
            if data:
                text = "\n".join(data)
                try:
                    return event, json.loads(text)
                except json.JSONDecodeError:
                    return event, text
        return None
