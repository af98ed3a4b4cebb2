from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from forums import permissions, selectors, services
from forums.forms import PostEditForm, PostForm, ThreadForm
from forums.models import Forum, Post, Thread
from forums.services import ForumActionRefused

THREADS_PAGE_SIZE = 30


def _forum(request: HttpRequest, slug: str) -> Forum:
    forum = selectors.forum_by_slug(request.user, slug)
    if forum is None:
        raise Http404("There is no forum at this address, or it is not open to you.")
    return forum


def _thread(request: HttpRequest, pk: int) -> Thread:
    thread = selectors.thread_by_id(request.user, pk)
    if thread is None:
        raise Http404("There is no thread at this address, or it is not open to you.")
    return thread


def _post(request: HttpRequest, pk: int) -> Post:
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
        },
    )


def forum(request: HttpRequest, slug: str) -> HttpResponse:
    forum = _forum(request, slug)
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


def _thread_page(
    request: HttpRequest, thread: Thread, form: PostForm | None = None, status: int = 200
) -> HttpResponse:
    person = request.user
    last_read = selectors.last_read_post_id(person, thread)
    posts = list(selectors.thread_posts(person, thread))
    moderates = permissions.can_moderate_forum(person, thread.forum)
    reveals = permissions.can_reveal_author(person)
    can_reply = permissions.can_reply(person, thread)
    first_unread_id = None
    for post in posts:
        own = post.author_id == person.pk
        post.can_edit = permissions.can_edit_post(person, post)
        post.can_delete = post.deleted_at is None and (own or moderates)
        post.can_quote = can_reply and not own
        post.can_report = not own
        post.can_moderate = moderates
        post.can_reveal = reveals
        if first_unread_id is None and post.pk > last_read and post.is_visible:
            first_unread_id = post.pk
    last_post_id = posts[-1].pk if posts else 0
    last_visible_id = max((post.pk for post in posts if post.is_visible), default=0)
    if last_visible_id > last_read:
        services.thread_mark_read(thread=thread, person=person, last_post_id=last_visible_id)
    if form is None and can_reply:
        form = PostForm(allows_anonymous=thread.forum.allows_anonymous_posts)
    context = {
        "thread": thread,
        "forum": thread.forum,
        "posts": posts,
        "last_post_id": last_post_id,
        "first_unread_id": first_unread_id if last_read else None,
        "can_reply": can_reply,
        "moderates": moderates,
        "last_revision": max((post.revision for post in posts), default=0),
        "form": form,
    }
    return render(request, "forums/thread.html", context, status=status)


def thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_page(request, _thread(request, pk))


@require_POST
def post_create(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    if thread.locked:
        messages.error(request, "This thread is locked: no more replies can be added.")
        return redirect(thread.get_absolute_url())
    if not permissions.can_reply(request.user, thread):
        raise PermissionDenied("Join the network to reply in its forum.")
    form = PostForm(request.POST, allows_anonymous=thread.forum.allows_anonymous_posts)
    if form.is_valid():
        try:
            post = services.post_create(
                thread=thread,
                author=request.user,
                body=form.cleaned_data["body"],
                is_anonymous=form.cleaned_data.get("is_anonymous", False),
            )
        except ForumActionRefused as refusal:
            form.add_error("body", refusal.message)
        else:
            return redirect(f"{thread.get_absolute_url()}#post-{post.pk}")
    return _thread_page(request, thread, form=form, status=400)


def thread_create(request: HttpRequest, slug: str) -> HttpResponse:
    forum = _forum(request, slug)
    if not permissions.can_start_thread(request.user, forum):
        raise PermissionDenied("You cannot start a thread in this forum.")
    form = ThreadForm(request.POST or None, allows_anonymous=forum.allows_anonymous_posts)
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.thread_create(
                forum=forum,
                author=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                is_anonymous=form.cleaned_data.get("is_anonymous", False),
            )
        except ForumActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            return redirect(thread.get_absolute_url())
    status = 400 if form.errors else 200
    return render(request, "forums/thread_form.html", {"forum": forum, "form": form}, status=status)


def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
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
            return redirect(f"{post.thread.get_absolute_url()}#post-{post.pk}")
    context = {
        "post": post,
        "thread": post.thread,
        "forum": post.thread.forum,
        "form": form,
        "revisions": selectors.post_revisions(post),
    }
    return render(request, "forums/post_edit.html", context, status=400 if form.errors else 200)


def post_delete(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
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
