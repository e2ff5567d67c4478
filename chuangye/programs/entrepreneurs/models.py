"""People who start businesses, their ventures, the support they get and the jobs they create.

ID and phone numbers are stored encrypted, with a keyed hash for exact search and a masked form
for display; the clear value is read only through ``services.unmask`` (which is audited).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chuangye.accounts.models import Department, OrgUnit
from chuangye.programs.entrepreneurs.choices import Gender, JobBasis, TargetGroup, VentureKind


class PersonQuerySet(models.QuerySet["Person"]):
    def with_first_support(self) -> PersonQuerySet:
        """Annotate when and where each person was first supported (``first_supported_on``,
        ``first_support_district_id``, ``first_support_district_code``; None if never)."""
        first = SupportRecord.objects.filter(person=models.OuterRef("pk"), first=True)
        return self.annotate(
            first_supported_on=models.Subquery(first.values("date")[:1]),
            first_support_district_id=models.Subquery(first.values("org_unit_id")[:1]),
            first_support_district_code=models.Subquery(first.values("org_unit__code")[:1]),
        )


class Person(models.Model):
    """An entrepreneur (a natural person).

    Where and when the person was first supported — what 扶持创业 counts — is the support record
    marked ``first`` (``SupportRecord.first``), not a column of the person: recording a support
    then never rewrites the person's row and its indexes.
    """

    name = models.CharField(_("姓名"), max_length=50)
    id_cipher = models.TextField(_("身份证号（密文）"))
    # Unique through ``Meta.constraints`` (no pattern-ops twin; searched by equality only).
    id_hash = models.CharField(_("身份证号检索摘要"), max_length=64)
    id_masked = models.CharField(_("身份证号"), max_length=18)
    phone_cipher = models.TextField(_("手机号（密文）"), blank=True)
    phone_hash = models.CharField(_("手机号检索摘要"), max_length=64, blank=True)
    phone_masked = models.CharField(_("手机号"), max_length=20, blank=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    target_group = models.CharField(
        _("人员类别"), max_length=20, choices=TargetGroup.choices, default=TargetGroup.OTHER
    )
    district = models.ForeignKey(
        OrgUnit,
        verbose_name=_("户籍或常住区市"),
        on_delete=models.PROTECT,
        related_name="persons",
        db_index=False,  # the (district, name) index serves every lookup by district
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("平台账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("创业者")
        verbose_name_plural = _("创业者")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["id_hash"], name="entrepreneurs_person_id_hash_unique")
        ]
        indexes = [
            models.Index(fields=["district", "name"]),
            # Exact and range lookups only (see selectors.search_persons): a plain index each,
            # without the pattern-ops twin ``db_index`` adds on PostgreSQL.
            models.Index(fields=["name"], name="entrepreneu_name_idx"),
            models.Index(fields=["phone_hash"], name="entrepreneu_phone_hash_idx"),
        ]
        permissions = [("view_unmasked", _("查看完整的证件号和手机号"))]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_masked}）"

    def first_support(self) -> SupportRecord | None:
        """The support that counts this person in 扶持创业 (None: never supported)."""
        return self.supports.filter(first=True).first()


class Venture(models.Model):
    """A business an entrepreneur started: an enterprise, an individual business, a cooperative."""

    name = models.CharField(_("名称"), max_length=200, db_index=True)
    kind = models.CharField(_("类型"), max_length=20, choices=VentureKind.choices)
    credit_code = models.CharField(
        _("统一社会信用代码/注册号"), max_length=30, blank=True, db_index=True
    )
    industry = models.CharField(_("行业"), max_length=100, blank=True)
    registered_on = models.DateField(_("登记日期"), null=True, blank=True)
    address = models.CharField(_("经营地址"), max_length=300, blank=True)
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("所在区市"), on_delete=models.PROTECT, related_name="ventures"
    )
    staff = models.PositiveIntegerField(_("从业人数"), default=0)
    founders = models.ManyToManyField(
        Person, verbose_name=_("创办人"), related_name="ventures", blank=True
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("创业实体")
        verbose_name_plural = _("创业实体")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class SupportType(models.Model):
    """A kind of support (一次性创业补贴, 创业担保贷款, 场地/孵化 …); the list is editable."""

    code = models.CharField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    has_amount = models.BooleanField(_("有金额"), default=False)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("扶持类型")
        verbose_name_plural = _("扶持类型")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class SupportRecord(models.Model):
    """One act of support to a person (and venture) by a department."""

    # Every row a bulk import writes updates each index of this table, so it carries only the
    # indexes that queries use: by person (and date), by district (and date), by venture. The
    # other foreign keys are never searched; deleting a type, department or user (rare) scans.
    person = models.ForeignKey(
        Person,
        verbose_name=_("创业者"),
        on_delete=models.PROTECT,
        related_name="supports",
        db_index=False,  # the (person, date) index serves it
    )
    venture = models.ForeignKey(
        Venture,
        verbose_name=_("创业实体"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supports",
    )
    support_type = models.ForeignKey(
        SupportType,
        verbose_name=_("扶持类型"),
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,
        db_constraint=False,  # see loans.models.REFERENCE_DATA
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("扶持部门"),
        on_delete=models.PROTECT,
        related_name="supports",
        db_index=False,
        db_constraint=False,  # see loans.models.REFERENCE_DATA
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("计入区市"),
        on_delete=models.PROTECT,
        related_name="supports",
        db_index=False,  # the (org_unit, date) index serves it
        db_constraint=False,  # see loans.models.REFERENCE_DATA
    )
    date = models.DateField(_("扶持日期"))
    amount = models.DecimalField(
        _("金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("备注"), max_length=300, blank=True)
    source = models.CharField(
        _("来源"), max_length=40, blank=True, help_text=_("由业务系统生成时注明，如 loans。")
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    # The person's first support by the counting rule (earliest date, then the order recorded):
    # the one record per person that 扶持创业 counts, in its district and month.
    first = models.BooleanField(_("首次扶持（计入扶持创业）"), default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        # Who recorded it: kept without a database constraint (as ``Loan.created_by``), see
        # ``chuangye.programs.loans.models.USER_REFERENCE``.
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("扶持记录")
        verbose_name_plural = _("扶持记录")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(first=True),
                name="entrepreneurs_support_one_first",
            )
        ]
        indexes = [
            models.Index(fields=["person", "date"]),
            # Serves every count of 扶持创业: a district's, a city's (its districts as ``= ANY``)
            # and the full rebuild; only first supports have an entry.
            models.Index(
                fields=["org_unit", "date"],
                condition=models.Q(first=True),
                name="entrepreneu_first_support_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} {self.support_type} {self.date}"


class JobRecord(models.Model):
    """Jobs a venture created (带动就业), with the evidence basis."""

    venture = models.ForeignKey(
        Venture, verbose_name=_("创业实体"), on_delete=models.PROTECT, related_name="jobs"
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("计入区市"), on_delete=models.PROTECT, related_name="job_records"
    )
    date = models.DateField(_("日期"))
    jobs = models.PositiveIntegerField(_("带动就业人数"))
    basis = models.CharField(_("认定依据"), max_length=20, choices=JobBasis.choices)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("带动就业记录")
        verbose_name_plural = _("带动就业记录")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["org_unit", "date"])]

    def __str__(self) -> str:
        return f"{self.venture} {self.date} +{self.jobs}"
