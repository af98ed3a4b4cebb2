"""The notification bell, live: one websocket per open page, joined to the person's group.

Bell events carry the unread count already, so they are forwarded without a database hop.
On connecting (and on reconnecting after a lost layer) the page is sent the count afresh from
the database, so a ring missed while the layer was down costs nothing.
"""

from channels.db import database_sync_to_async

from forums.consumers import SIGNED_OUT, LiveConsumer
from forums.notifications import person_group, unread_count


class BellConsumer(LiveConsumer):
    """`ws/notifications/`: the signed-in person's unread count as it changes."""

    actions = ("ping", "refresh")
    # The bell's client only ever sends tiny frames.
    max_frame_characters = 512

    async def connect(self) -> None:
        user = self.signed_in_user()
        if user is None:
            await self.refuse(SIGNED_OUT)
            return
        if await self.join(person_group(user.pk)):
            await self._send_count()

    async def act(self, action: str, content: dict) -> None:
        if action == "refresh":
            await self._send_count()
        else:
            await super().act(action, content)

    async def bell_update(self, event: dict) -> None:
        await self.send_json({"type": "bell", "unread": int(event.get("unread", 0))})

    async def _send_count(self) -> None:
        unread = await database_sync_to_async(unread_count)(self.scope["user"])
        await self.send_json({"type": "bell", "unread": unread})
