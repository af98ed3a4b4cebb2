from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from networks.models import Network
from networks.selectors import member_network_ids
from people.roles import is_central
from resources import selectors, services
from resources.forms import BrowseForm, CollectionForm, ResourceForm
from resources.models import Collection, Resource
from resources.permissions import can_edit_resource, can_endorse_resource
from search.selectors import related_resources

BROWSE_PAGE_SIZE = 20
# Counting every match of a broad filter means reading every row; past this many, the page
# says "more than" and asks for narrower filters instead.
BROWSE_COUNT_LIMIT = 1000


class CappedPaginator(Paginator):
    capped = False

    @cached_property
    def count(self) -> int:
        found = self.object_list[: BROWSE_COUNT_LIMIT + 1].count()
        self.capped = found > BROWSE_COUNT_LIMIT
        return min(found, BROWSE_COUNT_LIMIT)


def optional_url(name: str, **kwargs) -> str | None:
    """A URL of another part of the app that may not exist yet, or None."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _visible_resource(request: HttpRequest, pk: int) -> Resource:
    try:
        return (
            selectors.resources_visible_to(request.user)
            .select_related("network", "author")
            .get(pk=pk)
        )
    except Resource.DoesNotExist as missing:
        raise Http404("No resource you can see has that number.") from missing


def _back_to(request: HttpRequest, resource: Resource) -> HttpResponse:
    target = request.POST.get("next", "")
    # Only a path on this site: redirect() takes any other word for the name of a view.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(resource)


def _shareable_networks(person, current: Network | None = None):
    """The networks the person may share in (plus the one a resource is already in)."""
    networks = Network.objects.select_related("subject").order_by("name")
    if is_central(person):
        return networks
    allowed = Q(pk__in=member_network_ids(person))
    if current is not None:
        allowed |= Q(pk=current.pk)
    return networks.filter(allowed)


def browse(request: HttpRequest) -> HttpResponse:
    form = BrowseForm(request.GET or None)
    results = selectors.browse(request.user, **form.filters())
    page = CappedPaginator(results, BROWSE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "resources/browse.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def detail(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    try:
        found = selectors.resource_detail(request.user, pk)
    except Resource.DoesNotExist as missing:
        raise Http404("No resource you can see has that number.") from missing
    resource = found.resource
    if resource.slug != slug:
        return redirect(resource, permanent=True)
    person = request.user
    files = [
        {
            "file": file,
            "version": file.current,
            "download_url": optional_url("resources:file_download", version_pk=file.current.pk),
            "preview_url": optional_url("resources:file_preview", version_pk=file.current.pk),
            "new_version_url": optional_url("resources:file_version_upload", file_pk=file.pk),
            "history_url": optional_url("resources:file_history", file_pk=file.pk),
        }
        for file in found.files
    ]
    can_edit = can_edit_resource(person, resource)
    # The related panel leaves out what the page links already.
    already_linked = [adaptation.pk for adaptation in found.adaptations]
    if resource.adapted_from_id:
        already_linked.append(resource.adapted_from_id)
    return render(
        request,
        "resources/detail.html",
        {
            "resource": resource,
            "files": files,
            "adaptations": found.adaptations,
            "source": found.source,
            "can_edit": can_edit,
            "can_endorse": can_endorse_resource(person, resource),
            "can_adapt": resource.is_published,
            "is_bookmarked": resource.viewer_bookmarked,
            "collections": list(selectors.collections_of(person)),
            "related": related_resources(person, resource, leave_out=already_linked),
            "upload_url": optional_url("resources:file_upload", pk=resource.pk)
            if can_edit
            else None,
        },
    )


def create(request: HttpRequest) -> HttpResponse:
    networks = _shareable_networks(request.user)
    if request.method == "POST":
        form = ResourceForm(request.POST, networks=networks)
        if form.is_valid():
            try:
                resource = services.resource_create(
                    author=request.user,
                    publish="publish" in request.POST,
                    **form.service_arguments(),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            except PermissionDenied as refused:
                form.add_error("network", str(refused))
            else:
                messages.success(request, f"“{resource.title}” has been saved.")
                upload_url = optional_url("resources:file_upload", pk=resource.pk)
                return redirect(upload_url or resource.get_absolute_url())
    else:
        initial = {}
        if wanted := request.GET.get("network"):
            # No slug has a NUL, and PostgreSQL refuses one in a parameter.
            initial["network"] = networks.filter(slug=wanted.replace("\x00", "")).first()
        form = ResourceForm(initial=initial, networks=networks)
    return render(
        request,
        "resources/form.html",
        {"form": form, "resource": None},
        status=400 if form.errors else 200,
    )


def edit(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    resource = _visible_resource(request, pk)
    if not can_edit_resource(request.user, resource):
        raise PermissionDenied(
            "Only the author, the network's leads or the central team can edit this."
        )
    networks = _shareable_networks(request.user, resource.network)
    if request.method == "POST":
        form = ResourceForm(request.POST, networks=networks)
        if form.is_valid():
            arguments = form.service_arguments()
            try:
                services.resource_update(
                    resource=resource,
                    editor=request.user,
                    key_stages=arguments.pop("key_stages"),
                    tags=arguments.pop("tags"),
                    principles=arguments.pop("principles"),
                    **arguments,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            except PermissionDenied as refused:
                form.add_error("network", str(refused))
            else:
                messages.success(request, "Your changes have been saved.")
                return redirect(resource)
    else:
        form = ResourceForm(initial=ResourceForm.initial_for(resource), networks=networks)
    return render(
        request,
        "resources/form.html",
        {"form": form, "resource": resource},
        status=400 if form.errors else 200,
    )


@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _visible_resource(request, pk)
    action = request.POST.get("action")
    try:
        if action == "publish":
            services.resource_publish(resource=resource, person=request.user)
            messages.success(request, "Published: colleagues can now find it.")
        elif action == "archive":
            services.resource_archive(resource=resource, person=request.user)
            messages.success(request, "Archived: it no longer appears when people browse.")
        else:
            messages.error(request, "Choose whether to publish or archive.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(resource)


@require_POST
def adapt(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _visible_resource(request, pk)
    adaptation = services.resource_adapt(resource=resource, person=request.user)
    messages.success(
        request,
        "Your school's copy has been made as a draft. Change what you need, then publish it.",
    )
    return redirect("resources:edit", pk=adaptation.pk, slug=adaptation.slug)


@require_POST
def endorse(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _visible_resource(request, pk)
    if request.POST.get("action") == "withdraw":
        services.resource_unendorse(resource=resource, person=request.user)
        messages.success(request, "The recommendation has been withdrawn.")
    else:
        services.resource_endorse(resource=resource, person=request.user)
        messages.success(request, f"Recommended by the {resource.network.name} network.")
    return redirect(resource)


@require_POST
def bookmark(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _visible_resource(request, pk)
    # Read from the body before the write, so a body too big to read changes nothing.
    back = _back_to(request, resource)
    if services.bookmark_toggle(person=request.user, resource=resource):
        messages.success(request, "Bookmarked. Find it under your bookmarks.")
    else:
        messages.success(request, "Bookmark removed.")
    return back


@require_POST
def collect(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _visible_resource(request, pk)
    try:
        if new_name := request.POST.get("new_collection", "").strip():
            collection = services.collection_create(owner=request.user, name=new_name)
        else:
            collection = selectors.collection_for_owner(
                request.user, int(request.POST["collection"])
            )
        services.collection_add(collection=collection, person=request.user, resource=resource)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except (KeyError, ValueError, Collection.DoesNotExist):
        messages.error(request, "Choose one of your collections or name a new one.")
    else:
        messages.success(request, f"Added to “{collection.name}”.")
    return redirect(resource)


def bookmarks(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.bookmarked_resources(request.user), BROWSE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "resources/bookmarks.html", {"page": page, "query": ""})


def collections(request: HttpRequest) -> HttpResponse:
    form = CollectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            collection = services.collection_create(
                owner=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            form.add_error("name", error.message_dict.get("name", error.messages))
        else:
            messages.success(request, f"“{collection.name}” has been made.")
            return redirect("resources:collection_detail", pk=collection.pk)
    return render(
        request,
        "resources/collections.html",
        {"form": form, "collections": selectors.collections_of(request.user)},
        status=400 if form.errors else 200,
    )


def collection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        collection = selectors.collection_for_owner(request.user, pk)
    except Collection.DoesNotExist as missing:
        raise Http404("You have no collection with that number.") from missing
    if request.method == "POST":
        try:
            resource = selectors.resources_visible_to(request.user).get(
                pk=int(request.POST.get("resource", ""))
            )
        except (ValueError, Resource.DoesNotExist):
            messages.error(request, "That resource is not in this collection.")
        else:
            services.collection_remove(
                collection=collection, person=request.user, resource=resource
            )
            messages.success(request, f"“{resource.title}” has been taken out of the collection.")
        return redirect("resources:collection_detail", pk=collection.pk)
    page = Paginator(
        selectors.collection_resources(request.user, collection), BROWSE_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "resources/collection_detail.html",
        {"collection": collection, "page": page, "query": ""},
    )
