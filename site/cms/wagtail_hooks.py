from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.models import NewsCategory

# people.School is registered as a snippet by the people app (site/people/wagtail_hooks.py);
# principles' practice examples choose schools through it.


class NewsCategoryViewSet(SnippetViewSet):
    model = NewsCategory
    icon = "tag"
    menu_label = "News categories"
    list_display = ["name", "slug"]


register_snippet(NewsCategoryViewSet)
