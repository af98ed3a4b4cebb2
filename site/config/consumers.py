import json

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from people.signals import live_sockets_group

SIGNED_OUT = 4401  # as for a socket without a session
# The page only ever sends {"type": "ping"}.
MAX_FRAME_CHARACTERS = 512


class PresenceConsumer(AsyncJsonWebsocketConsumer):
    """Lets a signed-in page check that its live connection works; refuses anyone else.

    Like the forums' sockets it joins the person's group, so signing out or being switched
    off closes it at once (people.signals).
    """

    person_group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # Accepted first, so browsers see 4401 rather than 1006 and stop retrying.
            await self.accept()
            await self.close(code=SIGNED_OUT)
            return
        self.person_group = live_sockets_group(user.pk)
        await self.channel_layer.group_add(self.person_group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.person_group is not None:
            await self.channel_layer.group_discard(self.person_group, self.channel_name)
            self.person_group = None

    async def session_ended(self, event: dict) -> None:
        await self.close(code=SIGNED_OUT)

    async def network_access_lost(self, event: dict) -> None:
        """Shares the person's group with thread and forum pages; shows no network."""

    async def receive(self, text_data: str | None = None, bytes_data=None, **kwargs) -> None:
        # Decoded here rather than by Channels, which raises (and drops the socket) on a
        # binary, empty, oversized or malformed frame; those get an error frame instead.
        if text_data is None:
            await self._refuse("Send text frames of JSON, not binary frames.")
        elif len(text_data) > MAX_FRAME_CHARACTERS:
            await self._refuse(f"Frames may be at most {MAX_FRAME_CHARACTERS} characters long.")
        else:
            try:
                content = json.loads(text_data)
            except (ValueError, RecursionError):
                await self._refuse("Frames must be JSON.")
            else:
                await self.receive_json(content)

    async def receive_json(self, content: object, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self._refuse("Unknown message.")

    async def _refuse(self, message: str) -> None:
        await self.send_json({"type": "error", "message": message})
