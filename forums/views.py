from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from config.idempotency import submit_once
from forums import mentions, moderation, permissions, reactions, selectors, services
from forums.forms import PostEditForm, PostForm, ThreadForm
from forums.models import Forum, Post, Thread
from forums.services import ForumActionRefused

THREADS_PAGE_SIZE = 30
QUOTE_LENGTH = 500


# The forum, thread or post the reader may open at this address, else 404 (never 403, so a
# private network's threads do not show they exist); the other forum views use them too.


def forum_or_404(request: HttpRequest, slug: str) -> Forum:
    forum = selectors.forum_by_slug(request.user, slug)
    if forum is None:
        raise Http404("There is no forum at this address, or it is not open to you.")
    return forum


def thread_or_404(request: HttpRequest, pk: int) -> Thread:
    thread = selectors.thread_by_id(request.user, pk)
    if thread is None:
        raise Http404("There is no thread at this address, or it is not open to you.")
    return thread


def post_or_404(request: HttpRequest, pk: int) -> Post:
    post = selectors.post_by_id(request.user, pk)
    if post is None:
        raise Http404("There is no post at this address, or it is not open to you.")
    return post


def index(request: HttpRequest) -> HttpResponse:
    forums = list(selectors.forums_for(request.user))
    return render(
        request,
        "forums/index.html",
        {
            "trust_forums": [f for f in forums if f.network_id is None],
            "network_forums": [f for f in forums if f.network_id is not None],
            "uses_queue": moderation.can_use_queue(request.user),
            "reads_audit": moderation.can_read_audit(request.user),
        },
    )


def forum(request: HttpRequest, slug: str) -> HttpResponse:
    forum = forum_or_404(request, slug)
    page = Paginator(selectors.forum_threads(request.user, forum), THREADS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "forums/forum.html",
        {
            "forum": forum,
            "page": page,
            "can_start": permissions.can_start_thread(request.user, forum),
        },
    )


def _quote_markdown(post: Post) -> str:
    """The start of the post as a Markdown blockquote, cut at a word, ready to reply under."""
    text = post.body.strip()
    if len(text) > QUOTE_LENGTH:
        text = text[:QUOTE_LENGTH].rsplit(None, 1)[0].rstrip() + " …"
    quoted = "\n".join(f"> {line}".rstrip() for line in text.splitlines())
    return f"{quoted}\n\n"


def _quotable(request: HttpRequest, thread: Thread, posts: list[Post]) -> Post | None:
    """The visible post of this thread that `?quote=` names, on this page or another;
    anything else is ignored."""
    value = request.GET.get("quote")
    if not value or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    post = next((post for post in posts if post.pk == int(value)), None)
    if post is None:
        post = selectors.post_by_id(request.user, int(value))
    if post is None or post.thread_id != thread.pk or not post.is_visible:
        return None
    return post


def _thread_page(
    request: HttpRequest, thread: Thread, form: PostForm | None = None, status: int = 200
) -> HttpResponse:
    person = request.user
    # Read with the thread (thread_by_id); a thread from elsewhere reads it here.
    last_read = getattr(thread, "last_read_post_id", None)
    if last_read is None:
        last_read = selectors.last_read_post_id(person, thread)
    page = selectors.thread_page(person, thread, page=request.GET.get("page"), last_read=last_read)
    posts = page.posts
    moderates = permissions.can_moderate_forum(person, thread.forum)
    reveals = permissions.can_reveal_author(person)
    suspension = services.current_suspension(person)
    can_reply = permissions.can_reply(person, thread) and suspension is None
    for post in posts:
        own = post.author_id == person.pk
        post.can_edit = permissions.can_edit_post(person, post)
        post.can_delete = post.deleted_at is None and (own or moderates)
        post.can_quote = can_reply and not own
        post.can_report = not own
        post.can_moderate = moderates
        post.can_reveal = reveals
        # Marks the viewer's own reactions (aria-pressed) on this page only; live fragments
        # are the same for everyone and carry no such mark.
        post.viewer_reactions = reactions.viewer_kinds(post)
    last_visible_id = max((post.pk for post in posts if post.is_visible), default=0)
    if last_visible_id > last_read:
        services.thread_mark_read(thread=thread, person=person, last_post_id=last_visible_id)
    if form is None and can_reply:
        quoted = _quotable(request, thread, posts)
        initial = {"body": _quote_markdown(quoted), "quoted": quoted.pk} if quoted else None
        form = PostForm(allows_anonymous=thread.forum.allows_anonymous_posts, initial=initial)
    first_unread_id = page.first_unread_id if last_read else None
    context = {
        "thread": thread,
        "forum": thread.forum,
        "page": page,
        "posts": posts,
        "first_post_id": posts[0].pk if posts else 0,
        # The thread's last post, on this page or a later one: live updates after it are new.
        "last_post_id": page.last_post_id,
        "first_unread_id": first_unread_id,
        "first_unread_here": first_unread_id is not None and page.first_unread_page == page.number,
        "can_reply": can_reply,
        "moderates": moderates,
        "reveals": reveals,
        "suspension": suspension,
        # Every change up to the thread's revision (read before the posts) is on the page.
        "last_revision": max([thread.revision, *(post.revision for post in posts)]),
        "form": form,
    }
    return render(request, "forums/thread.html", context, status=status)


def thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_page(request, thread_or_404(request, pk))


def post_link(request: HttpRequest, pk: int) -> HttpResponse:
    """A post's own address: the page of its thread that holds it."""
    return redirect(selectors.post_address(post_or_404(request, pk)))


def _quoted_post(request: HttpRequest, pk: int | None) -> Post | None:
    """The post being quoted, if the reader may still see it; a quote of a post hidden or
    removed since is dropped and the reply still posted. The service refuses other threads."""
    if pk is None:
        return None
    post = selectors.post_by_id(request.user, pk)
    return post if post is not None and post.is_visible else None


@require_POST
def post_create(request: HttpRequest, pk: int) -> HttpResponse:
    thread = thread_or_404(request, pk)
    if thread.locked:
        messages.error(request, "This thread is locked: no more replies can be added.")
        return redirect(thread.get_absolute_url())
    if not permissions.can_reply(request.user, thread):
        raise PermissionDenied("Join the network to reply in its forum.")
    form = PostForm(request.POST, allows_anonymous=thread.forum.allows_anonymous_posts)
    if form.is_valid():

        def reply() -> str:
            post = services.post_create(
                thread=thread,
                author=request.user,
                body=form.cleaned_data["body"],
                is_anonymous=form.cleaned_data.get("is_anonymous", False),
                quoted=_quoted_post(request, form.cleaned_data.get("quoted")),
            )
            return selectors.post_address(post)

        try:
            next_url, _ = submit_once(
                person=request.user,
                key=form.cleaned_data["submission_key"],
                purpose=f"reply:{thread.pk}",
                sent=(
                    form.cleaned_data["body"],
                    form.cleaned_data.get("is_anonymous"),
                    form.cleaned_data.get("quoted"),
                ),
                action=reply,
            )
        except ForumActionRefused as refusal:
            form.add_error("body", refusal.message)
        else:
            return redirect(next_url)
    return _thread_page(request, thread, form=form, status=400)


def thread_create(request: HttpRequest, slug: str) -> HttpResponse:
    forum = forum_or_404(request, slug)
    if not permissions.can_start_thread(request.user, forum):
        raise PermissionDenied("You cannot start a thread in this forum.")
    form = ThreadForm(request.POST or None, allows_anonymous=forum.allows_anonymous_posts)
    if request.method == "POST" and form.is_valid():

        def start() -> str:
            return services.thread_create(
                forum=forum,
                author=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                is_anonymous=form.cleaned_data.get("is_anonymous", False),
            ).get_absolute_url()

        try:
            next_url, _ = submit_once(
                person=request.user,
                key=form.cleaned_data["submission_key"],
                purpose=f"thread:{forum.pk}",
                sent=(
                    form.cleaned_data["title"],
                    form.cleaned_data["body"],
                    form.cleaned_data.get("is_anonymous"),
                ),
                action=start,
            )
        except ForumActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            return redirect(next_url)
    status = 400 if form.errors else 200
    return render(request, "forums/thread_form.html", {"forum": forum, "form": form}, status=status)


def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_or_404(request, pk)
    if not permissions.can_edit_post(request.user, post):
        raise PermissionDenied("Only the author can edit this post.")
    form = PostEditForm(request.POST or None, initial={"body": post.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.post_edit(post=post, editor=request.user, body=form.cleaned_data["body"])
        except ForumActionRefused as refusal:
            form.add_error("body", refusal.message)
        else:
            messages.success(request, "Your post has been updated.")
            return redirect(selectors.post_address(post))
    context = {
        "post": post,
        "thread": post.thread,
        "forum": post.thread.forum,
        "form": form,
        "revisions": selectors.post_revisions(post),
    }
    return render(request, "forums/post_edit.html", context, status=400 if form.errors else 200)


def post_delete(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_or_404(request, pk)
    if not services.can_delete_post(request.user, post):
        raise PermissionDenied("Only the author or a moderator can remove this post.")
    if post.deleted_at is not None:
        return redirect(post.thread.get_absolute_url())
    if request.method == "POST":
        services.post_delete(post=post, deleter=request.user)
        messages.success(request, "The post has been removed.")
        return redirect(post.thread.get_absolute_url())
    return render(
        request,
        "forums/post_delete.html",
        {"post": post, "thread": post.thread, "forum": post.thread.forum},
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
def post_react(request: HttpRequest, pk: int) -> HttpResponse:
    """Give or take back a reaction. Without script: back to the post; with it: JSON, and the
    live update repaints the counts for every reader."""
    post = post_or_404(request, pk)
    kind = request.POST.get("kind", "")
    try:
        given = reactions.reaction_toggle(post=post, person=request.user, kind=kind)
    except ForumActionRefused as refusal:
        if _wants_json(request):
            return JsonResponse({"error": refusal.message}, status=400)
        messages.error(request, refusal.message)
        return redirect(selectors.post_address(post))
    if _wants_json(request):
        return JsonResponse(
            {"kind": kind, "given": given, "counts": reactions.reaction_counts(post)}
        )
    return redirect(selectors.post_address(post))


# Signed-out requests get JSON, not the sign-in page the middleware would send.
@login_not_required
@require_GET
def mention_people(request: HttpRequest) -> JsonResponse:
    """Colleagues to mention, for the @ autocomplete: `?q=` of two characters or more."""
    person = request.user
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return JsonResponse({"error": "Sign in to find colleagues."}, status=401)
    # PostgreSQL refuses NUL characters in a query's parameters.
    query = request.GET.get("q", "").replace("\x00", "")[:100]
    return JsonResponse({"results": mentions.colleagues_matching(query)})
