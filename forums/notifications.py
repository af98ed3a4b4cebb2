"""Notifications: who hears about what. (Being built: see issue 4.)"""


def post_saved(post_id: int, *, created: bool, mentioned_ids: list[int]) -> None:
    """Called after commit for every new or edited post."""
