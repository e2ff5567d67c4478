"""Registry pages for programme staff, and the entrepreneur's own profile."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from chuangye.accounts.selectors import districts_visible_to
from chuangye.programs.entrepreneurs import selectors, services
from chuangye.programs.entrepreneurs.forms import (
    ContactForm,
    JobForm,
    PersonForm,
    SupportForm,
    VentureForm,
)
from chuangye.programs.entrepreneurs.models import Person


def _require_staff(request: HttpRequest) -> None:
    if not selectors.is_registry_user(request.user):
        raise Http404


def _require_writer(request: HttpRequest) -> None:
    """Entering records is programme staff's work; city-wide readers (leader) only look."""
    if not selectors.can_register(request.user):
        raise Http404


@login_required
@never_cache
def person_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    q = request.GET.get("q", "")
    district = request.GET.get("district", "")
    results = selectors.search_persons(request.user, q, district).with_first_support()
    page = Paginator(results, 50, allow_empty_first_page=True).get_page(request.GET.get("page"))
    return render(
        request,
        "entrepreneurs/person_list.html",
        {
            "page": page,
            "q": q,
            "district": district,
            "districts": districts_visible_to(request.user),
            "form": PersonForm(),
            "can_register": selectors.can_register(request.user),
        },
    )


@login_required
@never_cache
def person_create(request: HttpRequest) -> HttpResponse:
    _require_writer(request)
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.register_person(actor=request.user, **form.cleaned_data)
        except services.RegistryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已登记。"))
            return redirect("entrepreneurs:person", pk=person.pk)
    return render(
        request,
        "entrepreneurs/person_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
@never_cache
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.get_person_for_user(request.user, pk)
    own = person.user_id == request.user.pk
    if not own:
        _require_staff(request)
    support_form = SupportForm()
    support_form.fields["venture"].queryset = person.ventures.all()  # type: ignore[attr-defined]
    return render(
        request,
        "entrepreneurs/person_detail.html",
        {
            "person": person,
            "own": own,
            "ventures": person.ventures.all(),
            "supports": selectors.supports_visible_to(request.user).filter(person=person),
            "support_form": support_form,
            "venture_form": VentureForm(initial={"district": person.district_id}),
            "contact_form": ContactForm(),
            "can_register": selectors.can_register(request.user),
            "can_unmask": services.can_unmask(request.user),
            "unmasked": request.session.pop("unmasked", None) if not own else None,
        },
    )


@login_required
@require_POST
def person_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the full ID or phone once; the unmask is written to the audit log."""
    person = selectors.get_person_for_user(request.user, pk)
    field = request.POST.get("field", "id_number")
    try:
        value = services.unmask(
            person, field=field, actor=request.user, reason=request.POST.get("reason", "")
        )
    except services.RegistryError as exc:
        messages.error(request, str(exc))
        return redirect("entrepreneurs:person", pk=pk)
    response = render(
        request, "entrepreneurs/unmasked.html", {"person": person, "field": field, "value": value}
    )
    return response


@login_required
@require_POST
def support_add(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.get_person_for_user(request.user, pk)
    _require_writer(request)
    form = SupportForm(request.POST)
    form.fields["venture"].queryset = person.ventures.all()  # type: ignore[attr-defined]
    if form.is_valid():
        try:
            services.record_support(person=person, actor=request.user, **form.cleaned_data)
            messages.success(request, _("扶持记录已登记。"))
        except services.RegistryError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(
            request,
            _("请检查填写的内容：")
            + "；".join(
                f"{form.fields[k].label}：{v[0]}"
                for k, v in form.errors.items()
                if k in form.fields
            ),
        )
    return redirect("entrepreneurs:person", pk=pk)


@login_required
@require_POST
def venture_add(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.get_person_for_user(request.user, pk)
    _require_writer(request)
    form = VentureForm(request.POST)
    if form.is_valid():
        try:
            venture = services.register_venture(
                actor=request.user, founders=[person], **form.cleaned_data
            )
            messages.success(request, _("创业实体已登记。"))
            return redirect("entrepreneurs:venture", pk=venture.pk)
        except services.RegistryError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, _("请检查填写的内容。"))
    return redirect("entrepreneurs:person", pk=pk)


@login_required
@never_cache
def venture_detail(request: HttpRequest, pk: int) -> HttpResponse:
    venture = selectors.get_venture_for_user(request.user, pk)
    return render(
        request,
        "entrepreneurs/venture_detail.html",
        {
            "venture": venture,
            "founders": selectors.persons_visible_to(request.user).filter(ventures=venture),
            "jobs": selectors.jobs_visible_to(request.user).filter(venture=venture),
            "job_form": JobForm() if selectors.can_register(request.user) else None,
        },
    )


@login_required
@require_POST
def jobs_add(request: HttpRequest, pk: int) -> HttpResponse:
    venture = selectors.get_venture_for_user(request.user, pk)
    _require_writer(request)
    form = JobForm(request.POST)
    if form.is_valid():
        try:
            services.record_jobs(venture=venture, actor=request.user, **form.cleaned_data)
            messages.success(request, _("带动就业记录已登记。"))
        except services.RegistryError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, _("请检查填写的内容。"))
    return redirect("entrepreneurs:venture", pk=pk)


@login_required
@never_cache
def my_profile(request: HttpRequest) -> HttpResponse:
    """The entrepreneur's own record: ventures, support received, contact details."""
    person: Person | None = Person.objects.filter(user_id=request.user.pk or 0).first()
    form = ContactForm(request.POST or None)
    if request.method == "POST" and person is not None and form.is_valid():
        try:
            services.update_contact(person, phone=form.cleaned_data["phone"], actor=request.user)
            messages.success(request, _("联系方式已更新。"))
            return redirect("entrepreneurs:me")
        except services.RegistryError as exc:
            form.add_error("phone", str(exc))
    context: dict[str, Any] = {"person": person, "form": form}
    if person is not None:
        context["ventures"] = person.ventures.all()
        context["supports"] = person.supports.select_related("support_type", "department")
    return render(request, "entrepreneurs/me.html", context, status=400 if form.errors else 200)
