"""Registry API: masked personal data only; unmask is an explicit, audited action."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from chuangye.accounts.models import OrgUnit
from chuangye.programs.entrepreneurs import selectors, services
from chuangye.programs.entrepreneurs.choices import JobBasis, TargetGroup, VentureKind
from chuangye.programs.entrepreneurs.models import (
    JobRecord,
    Person,
    SupportRecord,
    SupportType,
    Venture,
)


def _invalid(exc: Exception) -> ValidationError:
    return ValidationError({"detail": str(exc)})


def _require_writer(user: Any) -> None:
    """Records are entered by programme staff; read-only and partner roles only look."""
    if not selectors.can_register(user):
        raise PermissionDenied("只有业务经办人员可以登记创业者信息")


def _district(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code, kind__in=["county", "zone"]).first()
    if unit is None:
        raise ValidationError({"district": f"未知的区市代码：{code}"})
    return unit


class PersonSerializer(serializers.ModelSerializer[Person]):
    """A person; where and when first supported from ``with_first_support`` where annotated."""

    district: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    first_supported_on = serializers.SerializerMethodField()
    first_support_district = serializers.SerializerMethodField()

    def _first(self, obj: Person) -> tuple[Any, str | None]:
        if hasattr(obj, "first_support_district_code"):  # annotated by ``with_first_support``
            return getattr(obj, "first_supported_on", None), obj.first_support_district_code
        record = obj.first_support()
        return (record.date, record.org_unit.code) if record else (None, None)

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_first_supported_on(self, obj: Person) -> Any:
        day = self._first(obj)[0]
        return day.isoformat() if day else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_first_support_district(self, obj: Person) -> str | None:
        return self._first(obj)[1]

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "id_masked",
            "phone_masked",
            "gender",
            "birth_date",
            "target_group",
            "district",
            "first_supported_on",
            "first_support_district",
        ]


class PersonCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=18, write_only=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, write_only=True)
    target_group: Any = serializers.ChoiceField(choices=TargetGroup.choices, default="other")
    district = serializers.CharField()


class VentureSerializer(serializers.ModelSerializer[Venture]):
    district: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    founders: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Venture
        fields = [
            "id",
            "name",
            "kind",
            "credit_code",
            "industry",
            "registered_on",
            "address",
            "district",
            "staff",
            "founders",
        ]


class VentureCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    kind: Any = serializers.ChoiceField(choices=VentureKind.choices)
    credit_code = serializers.CharField(max_length=30, required=False, allow_blank=True)
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True)
    registered_on = serializers.DateField(required=False, allow_null=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    staff: Any = serializers.IntegerField(min_value=0, default=0)
    district = serializers.CharField()
    founders = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=50,
    )


class SupportSerializer(serializers.ModelSerializer[SupportRecord]):
    support_type: Any = serializers.SlugRelatedField(
        slug_field="code", queryset=SupportType.objects.all()
    )
    department: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    org_unit: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    person: Any = serializers.IntegerField(source="person_id", min_value=1, max_value=2**63 - 1)
    venture: Any = serializers.IntegerField(
        source="venture_id", required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )

    class Meta:
        model = SupportRecord
        fields = [
            "id",
            "person",
            "venture",
            "support_type",
            "department",
            "org_unit",
            "date",
            "amount",
            "note",
            "source",
        ]
        read_only_fields = ["source"]


class JobSerializer(serializers.ModelSerializer[JobRecord]):
    venture: Any = serializers.IntegerField(source="venture_id", min_value=1, max_value=2**63 - 1)
    org_unit: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    basis: Any = serializers.ChoiceField(choices=JobBasis.choices)

    class Meta:
        model = JobRecord
        fields = ["id", "venture", "org_unit", "date", "jobs", "basis", "note"]


class ContactSerializer(serializers.Serializer[Any]):
    phone = serializers.CharField(
        max_length=20, allow_blank=True, write_only=True, help_text="手机号（11 位，可留空）"
    )


class PersonViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Person]):
    """Entrepreneurs in the caller's scope; ``?q=`` searches by full ID, phone or name prefix."""

    serializer_class = PersonSerializer

    def get_queryset(self) -> Any:
        if self.action == "list":
            return selectors.search_persons(
                self.request.user,
                self.request.query_params.get("q", ""),
                self.request.query_params.get("district", ""),
            ).with_first_support()
        return selectors.persons_visible_to(self.request.user).with_first_support()

    @extend_schema(request=PersonCreateSerializer, responses=PersonSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _require_writer(request.user)
        data = PersonCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            person = services.register_person(
                actor=request.user, district=_district(values.pop("district")), **values
            )
        except services.RegistryError as exc:
            raise _invalid(exc) from None
        return Response(PersonSerializer(person).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=inline_serializer(
            "UnmaskRequest",
            {
                "field": serializers.ChoiceField(choices=["id_number", "phone"]),
                "reason": serializers.CharField(),
            },
        ),
        responses=inline_serializer("UnmaskResponse", {"value": serializers.CharField()}),
    )
    @action(detail=True, methods=["post"])
    def unmask(self, request: Request, pk: str | None = None) -> Response:
        """The full number, for users with the unmask permission; written to the audit log."""
        person = self.get_object()
        body = request.data if isinstance(request.data, dict) else {}
        try:
            value = services.unmask(
                person,
                field=str(body.get("field", "id_number")),
                actor=request.user,
                reason=str(body.get("reason", "")),
            )
        except services.RegistryError as exc:
            raise _invalid(exc) from None
        response = Response({"value": value})
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(methods=["GET"], responses=PersonSerializer)
    @extend_schema(methods=["PATCH"], request=ContactSerializer, responses=PersonSerializer)
    @action(detail=False, methods=["get", "patch"], pagination_class=None)
    def me(self, request: Request) -> Response:
        """The caller's own registry record (404 if none); ``PATCH`` changes the phone."""
        person = Person.objects.filter(user_id=request.user.pk or 0).first()
        if person is None:
            raise NotFound("您还没有创业者登记信息")
        if request.method == "PATCH":
            data = ContactSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            try:
                person = services.update_contact(
                    person, phone=data.validated_data["phone"], actor=request.user
                )
            except services.RegistryError as exc:
                raise _invalid(exc) from None
        return Response(PersonSerializer(person).data)


class VentureViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Venture]):
    serializer_class = VentureSerializer

    def get_queryset(self) -> Any:
        qs = selectors.ventures_visible_to(self.request.user).prefetch_related("founders")
        code = self.request.query_params.get("credit_code")
        return qs.filter(credit_code=code.strip().upper()) if code else qs

    @extend_schema(request=VentureCreateSerializer, responses=VentureSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _require_writer(request.user)
        data = VentureCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        founders = list(
            selectors.persons_visible_to(request.user).filter(pk__in=values.pop("founders"))
        )
        if not founders:
            raise ValidationError({"founders": "创办人不存在或不在您的范围内"})
        try:
            venture = services.register_venture(
                actor=request.user,
                district=_district(values.pop("district")),
                founders=founders,
                **values,
            )
        except services.RegistryError as exc:
            raise _invalid(exc) from None
        return Response(VentureSerializer(venture).data, status=status.HTTP_201_CREATED)


class SupportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[SupportRecord]):
    serializer_class = SupportSerializer

    def get_queryset(self) -> Any:
        return selectors.supports_visible_to(self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _require_writer(request.user)
        data = SupportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        person = selectors.persons_visible_to(request.user).filter(pk=values["person_id"]).first()
        if person is None:
            raise NotFound()
        venture = None
        if values.get("venture_id"):
            venture = (
                selectors.ventures_visible_to(request.user).filter(pk=values["venture_id"]).first()
            )
            if venture is None:
                raise NotFound()
        try:
            record = services.record_support(
                person=person,
                venture=venture,
                support_type=values["support_type"],
                date=values["date"],
                amount=values.get("amount"),
                note=values.get("note", ""),
                actor=request.user,
            )
        except services.RegistryError as exc:
            raise _invalid(exc) from None
        return Response(SupportSerializer(record).data, status=status.HTTP_201_CREATED)


class JobViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[JobRecord]):
    serializer_class = JobSerializer

    def get_queryset(self) -> Any:
        return selectors.jobs_visible_to(self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _require_writer(request.user)
        data = JobSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        venture = (
            selectors.ventures_visible_to(request.user).filter(pk=values["venture_id"]).first()
        )
        if venture is None:
            raise NotFound()
        try:
            record = services.record_jobs(
                venture=venture,
                date=values["date"],
                jobs=values["jobs"],
                basis=values["basis"],
                note=values.get("note", ""),
                actor=request.user,
            )
        except services.RegistryError as exc:
            raise _invalid(exc) from None
        return Response(JobSerializer(record).data, status=status.HTTP_201_CREATED)
