"""Views of resource discussions, principle consultations and "Mark all as read"."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cms.models import PrinciplePage
from config.idempotency import submit_once
from forums import discussions, reading, selectors
from forums.forms import PostForm
from forums.services import ForumActionRefused
from resources.selectors import resources_visible_to

FORM_PREFIX = "discussion"


def discussion_form(data=None, *, panel: discussions.DiscussionPanel) -> PostForm:
    """The panel's form: prefixed, so its field never clashes with others on the page."""
    form = PostForm(data, prefix=FORM_PREFIX, allows_anonymous=panel.allows_anonymous)
    form.fields["body"].label = "Your reply" if panel.thread else "Your first post"
    return form


def _discussion(
    request: HttpRequest, panel: discussions.DiscussionPanel, post_on, back_url: str
) -> HttpResponse:
    """Show the form (GET), or post in the discussion, starting it if needed (POST)."""
    if not panel.readable:
        raise Http404(panel.notice)
    if request.method == "GET" and panel.thread is not None:
        return redirect(panel.thread.get_absolute_url())
    form = discussion_form(request.POST or None, panel=panel)
    if request.method == "POST":
        if not panel.can_post:
            form.add_error(None, panel.notice)
        elif form.is_valid():

            def post_it() -> str:
                post = post_on(
                    author=request.user,
                    body=form.cleaned_data["body"],
                    is_anonymous=form.cleaned_data.get("is_anonymous", False),
                )
                return selectors.post_address(post)

            try:
                next_url, _ = submit_once(
                    person=request.user,
                    key=form.cleaned_data["submission_key"],
                    purpose=f"discussion:{request.path[:48]}",
                    sent=(form.cleaned_data["body"], form.cleaned_data.get("is_anonymous")),
                    action=post_it,
                )
            except ForumActionRefused as refusal:
                form.add_error("body", refusal.message)
            else:
                return redirect(next_url)
    context = {"panel": panel, "form": form, "back_url": back_url}
    status = 400 if form.errors else 200
    return render(request, "forums/discussion_form.html", context, status=status)


def resource_discussion(request: HttpRequest, pk: int) -> HttpResponse:
    resource = resources_visible_to(request.user).select_related("network").filter(pk=pk).first()
    if resource is None:
        raise Http404("No resource you can see has that number.")
    panel = discussions.resource_panel(request.user, resource)

    def post_on(**kwargs):
        return discussions.resource_discussion_post(resource=resource, **kwargs)

    return _discussion(request, panel, post_on, resource.get_absolute_url())


def principle_consultation(request: HttpRequest, page_id: int) -> HttpResponse:
    # By `id`, not `pk` (the page_ptr link): an integer field's lookup treats an id too big
    # for the database as matching nothing, where the link's would crash.
    page = PrinciplePage.objects.live().filter(id=page_id).first()
    if page is None:
        raise Http404("There is no published principle at this address.")
    panel = discussions.principle_panel(request.user, page)

    def post_on(**kwargs):
        return discussions.principle_consultation_post(page=page, **kwargs)

    return _discussion(request, panel, post_on, page.url)


@require_POST
def forum_mark_read(request: HttpRequest, slug: str) -> HttpResponse:
    forum = selectors.forum_by_slug(request.user, slug)
    if forum is None:
        raise Http404("There is no forum at this address, or it is not open to you.")
    reading.threads_mark_all_read(person=request.user, forum=forum)
    messages.success(request, f"Every thread in {forum.name} is marked as read.")
    return redirect(forum.get_absolute_url())


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    reading.threads_mark_all_read(person=request.user)
    messages.success(request, "Every thread in every forum is marked as read.")
    return redirect("forums:index")
