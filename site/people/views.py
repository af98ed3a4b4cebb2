from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from people import selectors, services
from people.forms import DirectoryFilterForm, ProfileForm
from people.models import Person

DIRECTORY_PAGE_SIZE = 30


def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    people = selectors.staff_directory(
        name=filters.get("name", ""),
        school_id=filters["school"].pk if filters.get("school") else None,
        subject_id=filters["subject"].pk if filters.get("subject") else None,
        role=filters.get("role", ""),
    )
    page = Paginator(people, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "people/directory.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def profile(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        person = selectors.person_profile(pk=pk)
    except Person.DoesNotExist as missing:
        raise Http404("No member of staff has that number.") from missing
    return render(
        request,
        "people/profile.html",
        {"person": person, "is_me": person.pk == request.user.pk},
    )


def my_profile(request: HttpRequest) -> HttpResponse:
    return redirect("people:profile", pk=request.user.pk)


def profile_edit(request: HttpRequest) -> HttpResponse:
    # A copy of the signed-in person, so a rejected form never shows in the page's header.
    me = selectors.person_for_edit(pk=request.user.pk)
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=me)
        if form.is_valid():
            services.profile_update(
                person=me, **{name: form.cleaned_data[name] for name in ProfileForm.Meta.fields}
            )
            messages.success(request, "Your profile has been saved.")
            return redirect("people:my_profile")
    else:
        form = ProfileForm(instance=me)
    return render(
        request, "people/profile_edit.html", {"form": form}, status=400 if form.errors else 200
    )
