from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from networks import permissions, selectors, services
from networks.forms import (
    DecisionForm,
    JoinRequestForm,
    LeaveForm,
    MemberAddForm,
    NetworkFilterForm,
)
from networks.models import JoinRequest, Network
from networks.services import NetworkActionRefused
from people.models import Person

HOME_MEMBERS_SHOWN = 12
MEMBERS_PAGE_SIZE = 50


def _network(slug: str) -> Network:
    try:
        return selectors.network_for_home(slug=slug)
    except Network.DoesNotExist as missing:
        raise Http404("There is no network at this address.") from missing


def _url_or_none(name: str, **kwargs) -> str | None:
    # Pages other apps are still adding are linked once their URL exists.
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    # Only a path on this site: redirect() takes any other word for the name of a view.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _first_error(form) -> str:
    for errors in form.errors.values():
        return errors[0]
    return "Check the form and try again."


def index(request: HttpRequest) -> HttpResponse:
    form = NetworkFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    subject = filters.get("subject")
    networks = selectors.networks_index(
        request.user,
        phase=filters.get("phase", ""),
        subject_id=subject.pk if subject else None,
    )
    return render(request, "networks/index.html", {"form": form, "networks": list(networks)})


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    network = _network(slug)
    person = request.user
    membership = permissions.membership_of(person, network)
    can_view = permissions.can_view_network(person, network)
    can_manage = permissions.can_manage_network(person, network)
    leads = list(selectors.network_memberships(network, leads_only=True))
    context = {
        "network": network,
        "membership": membership,
        "can_view": can_view,
        "can_manage": can_manage,
        "leads": leads,
    }
    if can_view:
        members = selectors.network_memberships(network)
        shown = list(members[:HOME_MEMBERS_SHOWN])
        context["members"] = shown
        context["member_count"] = len(shown) if len(shown) < HOME_MEMBERS_SHOWN else members.count()
        context["map_url"] = _url_or_none("resources:map", slug=network.slug)
        share_url = _url_or_none("resources:create")
        if share_url and (membership or can_manage):
            context["share_url"] = f"{share_url}?network={network.slug}"
    if can_manage:
        context["join_requests"] = list(selectors.pending_join_requests(network))
    if membership is None and network.is_private:
        context["my_request"] = selectors.pending_join_request_of(person, network)
        context["request_form"] = JoinRequestForm()
    if membership is not None:
        context["leave_form"] = _leave_form(network, person, membership, leads)
    return render(request, "networks/detail.html", context)


def _leave_form(network: Network, person, membership, leads: list) -> LeaveForm | None:
    """A successor field only for a network's last lead."""
    if membership.is_lead and len(leads) == 1:
        return LeaveForm(network=network, person=person)
    return None


def members(request: HttpRequest, slug: str) -> HttpResponse:
    network = _network(slug)
    if not permissions.can_view_network(request.user, network):
        return render(request, "networks/private.html", {"network": network}, status=403)
    page = Paginator(selectors.network_memberships(network), MEMBERS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    can_manage = permissions.can_manage_network(request.user, network)
    return render(
        request,
        "networks/members.html",
        {
            "network": network,
            "page": page,
            "query": "",
            "can_manage": can_manage,
            "add_form": MemberAddForm() if can_manage else None,
        },
    )


def _refusals_as_messages(view: Callable) -> Callable:
    """Every POST action: a refusal becomes a message on the page the person came from."""

    @wraps(view)
    def wrapped(request: HttpRequest, slug: str, **kwargs) -> HttpResponse:
        network = _network(slug)
        # The body is read before anything is written, so one too big to read is refused
        # (400) with nothing changed. In production the CSRF check has read it already.
        request.POST  # noqa: B018
        try:
            return view(request, network, **kwargs)
        except NetworkActionRefused as refused:
            messages.error(request, refused.message)
            return _back(request, network.get_absolute_url())

    return require_POST(wrapped)


@_refusals_as_messages
def join(request: HttpRequest, network: Network) -> HttpResponse:
    services.membership_join(person=request.user, network=network)
    messages.success(request, f"You have joined {network.name}.")
    return _back(request, network.get_absolute_url())


@_refusals_as_messages
def leave(request: HttpRequest, network: Network) -> HttpResponse:
    form = LeaveForm(request.POST, network=network, person=request.user)
    if not form.is_valid():
        raise NetworkActionRefused(_first_error(form))
    successor = form.cleaned_data["successor"]
    services.membership_leave(
        person=request.user, network=network, successor=successor.person if successor else None
    )
    messages.success(request, f"You have left {network.name}.")
    if network.is_private:
        return redirect("networks:index")
    return redirect(network.get_absolute_url())


@_refusals_as_messages
def join_request(request: HttpRequest, network: Network) -> HttpResponse:
    form = JoinRequestForm(request.POST)
    if not form.is_valid():
        raise NetworkActionRefused(_first_error(form))
    services.join_request_create(
        person=request.user, network=network, message=form.cleaned_data["message"]
    )
    messages.success(request, f"Your request to join {network.name} has been sent to its leads.")
    return redirect(network.get_absolute_url())


@_refusals_as_messages
def join_request_decide(request: HttpRequest, network: Network, pk: int) -> HttpResponse:
    asked = get_object_or_404(JoinRequest.objects.select_related("person"), pk=pk, network=network)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise NetworkActionRefused("Choose whether to approve or decline the request.")
    services.join_request_decide(by=request.user, join_request=asked, approve=form.approve)
    if form.approve:
        messages.success(request, f"{asked.person.name} is now a member of {network.name}.")
    else:
        messages.success(request, f"You declined {asked.person.name}'s request to join.")
    return _back(request, network.get_absolute_url())


@_refusals_as_messages
def member_add(request: HttpRequest, network: Network) -> HttpResponse:
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        raise NetworkActionRefused(_first_error(form))
    person = form.cleaned_data["email"]
    services.member_add(
        by=request.user, network=network, person=person, as_lead=form.cleaned_data["as_lead"]
    )
    role = "a lead" if form.cleaned_data["as_lead"] else "a member"
    messages.success(request, f"{person.name} is now {role} of {network.name}.")
    return redirect("networks:members", slug=network.slug)


MEMBER_CHANGES = {
    "remove": (services.member_remove, "{name} is no longer a member of {network}."),
    "promote": (services.lead_promote, "{name} now leads {network}."),
    "demote": (services.lead_demote, "{name} is no longer a lead of {network}."),
}


@_refusals_as_messages
def member_change(
    request: HttpRequest, network: Network, person_id: int, change: str
) -> HttpResponse:
    action, done = MEMBER_CHANGES[change]
    person = get_object_or_404(Person, pk=person_id)
    action(by=request.user, network=network, person=person)
    messages.success(request, done.format(name=person.name, network=network.name))
    return _back(request, reverse("networks:members", kwargs={"slug": network.slug}))
