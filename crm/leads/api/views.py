from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.accounts.models import Team
from crm.core.api.serializers import RecordSerializer
from crm.core.api.viewsets import IF_MATCH, RecordViewSet
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.core.middleware import activate_user_preferences
from crm.core.services import require_write
from crm.core.visibility import get_visible_or_404, visible_to

from .. import services
from ..filtersets import LeadFilterSet
from ..models import AssignmentRule, Lead, LeadSource, WebForm
from ..selectors import company_candidates, contact_candidates


def described_choice(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field whose values the API schema lists in its description instead of a
    shared enum component: "source" means another set of values on companies, and one
    enum per field name would collide."""
    values = ", ".join(f"`{value}`" for value, _label in choices if value)

    @extend_schema_field({"type": "string", "description": f"One of {values}."})
    class DescribedChoiceField(serializers.ChoiceField):
        pass

    return DescribedChoiceField(choices=choices, **kwargs)


class LeadSerializer(RecordSerializer):
    source = described_choice(LeadSource.choices, required=False)
    status = serializers.CharField(read_only=True)
    disqualify_reason = serializers.CharField(read_only=True)

    class Meta:
        model = Lead
        fields = (
            "id",
            "url",
            *Lead.EDITABLE_FIELDS,
            "status",
            "disqualify_reason",
            "web_form",
            "duplicate_of",
            "matched_contact",
            "converted_company",
            "converted_contact",
            "converted_deal",
            "converted_at",
            "last_activity_at",
            "tags",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            *RecordSerializer.read_only_base,
            "web_form",
            "duplicate_of",
            "matched_contact",
            "converted_company",
            "converted_contact",
            "converted_deal",
            "converted_at",
            "last_activity_at",
        )


class LeadStatusSerializer(serializers.Serializer):
    # Plain text checked below, not a choice field: the API schema names one "status"
    # enum per choice set, and deals already have theirs.
    status = serializers.CharField(help_text="`new`, `working`, `qualified` or `disqualified` (with a `reason`).")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    version = serializers.IntegerField(required=False)

    def validate_status(self, value: str) -> str:
        if value not in services.SETTABLE_STATUSES:
            raise serializers.ValidationError(_("Choose new, working, qualified or disqualified."))
        return value


class ConvertCompanySerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="An existing company to link to.")
    name = serializers.CharField(required=False, max_length=200)
    registration_number = serializers.CharField(required=False, allow_blank=True, max_length=40)


class ConvertContactSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="An existing contact to link to.")
    name = serializers.CharField(required=False, max_length=200)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)


class ConvertDealSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=200)
    amount = serializers.DecimalField(required=False, max_digits=18, decimal_places=2, min_value=0)
    currency = serializers.CharField(required=False, max_length=3)
    pipeline = serializers.IntegerField(required=False)
    stage = serializers.IntegerField(required=False)
    expected_close_date = serializers.DateField(required=False)


class LeadConvertSerializer(serializers.Serializer):
    """Each part is optional: {"id": …} links an existing record, other values create one
    (the lead's values fill what is missing), leaving a part out creates none."""

    company = ConvertCompanySerializer(required=False, allow_null=True)
    contact = ConvertContactSerializer(required=False, allow_null=True)
    deal = ConvertDealSerializer(required=False, allow_null=True)
    version = serializers.IntegerField(required=False)


class CandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="record.pk")
    name = serializers.CharField(source="record.name")
    reasons = serializers.SerializerMethodField()

    def get_reasons(self, obj) -> list[str]:
        return list(obj.codes)


class LeadViewSet(RecordViewSet):
    """Leads: people who may become customers, with source, status, owner and score.

    Lists show the leads you may see; filters are the same as on the leads page. A new
    lead without an owner is assigned by the assignment rules. The status changes
    through `status/`; a qualified lead converts through `convert/`."""

    model = Lead
    serializer_class = LeadSerializer
    filterset_class = LeadFilterSet
    select_related = ("owner",)
    ordering_fields = ("name", "score", "created_at", "updated_at")
    create_service = staticmethod(services.lead_create)
    update_service = staticmethod(services.lead_update)

    def _writable(self, pk):
        self._perm("change")
        obj = get_visible_or_404(self.request.user, self.get_queryset(), pk=pk)
        require_write(self.request.user, obj)
        return obj

    @extend_schema(request=LeadStatusSerializer, responses=LeadSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def status(self, request, pk=None):
        """Set the status: new, working, qualified, or disqualified (with a `reason`).
        A converted lead's status no longer changes (422)."""
        lead = self._writable(pk)
        body = LeadStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lead = services.lead_set_status(
            lead=lead,
            actor=request.user,
            status=body.validated_data["status"],
            reason=body.validated_data.get("reason", ""),
            expected_version=self._expected_version(request),
        )
        lead = self._reload(lead)
        return self._etag(Response(self.get_serializer(lead).data), lead)

    @extend_schema(
        request=None,
        responses=CandidateSerializer(many=True),
        filters=False,
        parameters=[OpenApiParameter("registration_number", OpenApiTypes.STR, OpenApiParameter.QUERY)],
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def matches(self, request, pk=None):
        """Existing companies and contacts the lead may be, with why each matched; with
        `?registration_number=` also the companies holding that number
        (`registration_number`, `same_name`, `similar_name`, `email`, `phone`, `matched`)."""
        lead = self.get_object()
        code = (request.query_params.get("registration_number") or "")[:40]
        companies = company_candidates(lead=lead, user=request.user, registration_number=code)
        return Response(
            {
                "companies": CandidateSerializer(companies, many=True).data,
                "contacts": CandidateSerializer(contact_candidates(lead=lead, user=request.user), many=True).data,
            }
        )

    @extend_schema(request=LeadConvertSerializer, responses=LeadSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def convert(self, request, pk=None):
        """Convert a qualified lead into a company, a contact and a deal in one step.

        `company` and `contact` are `{"id": …}` to link an existing record you may see,
        or values to create one; `deal` creates a deal for them (default pipeline and
        first open stage unless given). All or nothing: any error creates nothing.
        A lead that is not qualified gets 422."""
        from crm.contacts.models import Company, Contact

        lead = self._writable(pk)
        body = LeadConvertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data

        def part(key, model):
            value = data.get(key)
            if value is None:
                return None
            value = dict(value)
            if "id" in value:
                found = visible_to(request.user, model).filter(pk=value["id"]).first()
                if found is None:
                    raise ValidationFailed(
                        fields={
                            f"{key}.id": [_("Select a valid choice. That choice is not one of the available choices.")]
                        }
                    )
                return found
            return value

        converted = services.lead_convert(
            lead=lead,
            actor=request.user,
            company=part("company", Company),
            contact=part("contact", Contact),
            deal_data=dict(data["deal"]) if data.get("deal") is not None else None,
            expected_version=self._expected_version(request),
        )
        converted = self._reload(converted)
        return self._etag(Response(self.get_serializer(converted).data), converted)


# Administration: assignment rules and web forms -------------------------------------------
class AdminOnlyMixin:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        activate_user_preferences(request, request.user)
        if not request.user.is_crm_admin:
            raise PermissionDeniedError()


class AssignmentRuleSerializer(serializers.ModelSerializer):
    source = described_choice([("", "—"), *LeadSource.choices], required=False, allow_blank=True)
    user = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)

    class Meta:
        model = AssignmentRule
        fields = ("id", *services.RULE_EDITABLE, "last_assigned", "created_at", "updated_at")
        read_only_fields = ("id", "last_assigned", "created_at", "updated_at")


class _ConfigViewSet(
    AdminOnlyMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    create_service = None
    update_service = None
    delete_service = None

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = type(self).create_service(actor=request.user, data=dict(serializer.validated_data))
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        obj = type(self).update_service(instance=obj, actor=request.user, data=dict(serializer.validated_data))
        return Response(self.get_serializer(obj).data)

    def destroy(self, request, *args, **kwargs):
        type(self).delete_service(instance=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssignmentRuleViewSet(_ConfigViewSet):
    """Assignment rules (administrators): tried by `position` for a new lead without an
    owner; the first whose `region` (contained in the lead's) and `source` match gives
    the lead to `user`, or round-robin to the active members of `team`."""

    queryset = AssignmentRule.objects.select_related("user", "team").order_by("position", "pk")
    serializer_class = AssignmentRuleSerializer
    create_service = staticmethod(services.assignment_rule_create)
    update_service = staticmethod(services.assignment_rule_update)
    delete_service = staticmethod(services.assignment_rule_delete)


class WebFormFieldSerializer(serializers.Serializer):
    name = described_choice([(n, n) for n in services.WEB_FORM_FIELDS])
    label_en = serializers.CharField(required=False, allow_blank=True, max_length=100)
    label_zh = serializers.CharField(required=False, allow_blank=True, max_length=100)
    required = serializers.BooleanField(required=False, default=False)


class WebFormSerializer(serializers.ModelSerializer):
    form_fields = WebFormFieldSerializer(many=True, required=False, source="fields")
    source = described_choice(LeadSource.choices, required=False)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    hosted_url = serializers.SerializerMethodField()

    class Meta:
        model = WebForm
        fields = ("id", "key", "hosted_url", *services.WEB_FORM_EDITABLE, "form_fields", "created_at", "updated_at")
        read_only_fields = ("id", "key", "hosted_url", "created_at", "updated_at")

    def get_hosted_url(self, obj) -> str:
        from django.urls import reverse

        path = reverse("leads:public_form", args=[obj.key])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class WebFormViewSet(_ConfigViewSet):
    """Web-to-lead forms (administrators). `fields` lists the lead fields the public form
    asks for (from name, company_name, title, email, phone, region, description), each
    with English and Chinese labels and a required flag. Visitors submit at
    `hosted_url` (POST, form-encoded; `Accept: application/json` answers in JSON)."""

    queryset = WebForm.objects.select_related("owner", "team").order_by("name", "pk")
    serializer_class = WebFormSerializer
    create_service = staticmethod(services.webform_create)
    update_service = staticmethod(services.webform_update)
    delete_service = staticmethod(services.webform_delete)
