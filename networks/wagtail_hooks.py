from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from networks.forms import NetworkAdminForm
from networks.models import Network, Subject


class SubjectViewSet(SnippetViewSet):
    model = Subject
    icon = "tag"
    menu_label = "Subjects"
    list_display = ["name", "slug"]
    search_fields = ["name"]
    ordering = ["name"]
    panels = [FieldPanel("name")]


class NetworkViewSet(SnippetViewSet):
    """The central team create networks here; leads are then added on the network's
    members page."""

    model = Network
    icon = "group"
    menu_label = "Networks"
    list_display = ["name", "subject", "visibility"]
    list_filter = ["visibility", "subject"]
    search_fields = ["name", "description"]
    ordering = ["name"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("subject"),
            FieldPanel("description"),
            FieldPanel("phases"),
            FieldPanel("visibility"),
        ],
        base_form_class=NetworkAdminForm,
    )


class NetworksGroup(SnippetViewSetGroup):
    items = (NetworkViewSet, SubjectViewSet)
    menu_icon = "group"
    menu_label = "Networks"
    menu_name = "networks"
    add_to_admin_menu = True
    menu_order = 240


register_snippet(NetworksGroup)
