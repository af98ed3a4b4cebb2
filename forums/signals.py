"""Every network has its forum from the moment it exists. Networks cannot know about forums
(they sit below them), so forums listens for new networks."""

from forums.services import forum_for_network


def give_new_network_its_forum(*, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        forum_for_network(network=instance)
