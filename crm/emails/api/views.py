"""API: e-mail templates, the logged messages, sending, and logging a raw message."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from crm.contacts.models import Contact
from crm.core.errors import PermissionDeniedError, ServiceError, ValidationFailed
from crm.core.middleware import activate_user_preferences
from crm.core.visibility import visible_to

from .. import services
from ..models import EmailMessage, EmailSource, EmailTemplate
from ..selectors import emails_visible_to, templates_visible_to


def max_inbound_bytes() -> int:
    return int(getattr(settings, "EMAIL_MAX_INBOUND_BYTES", 10 * 1024 * 1024))


class MessageTooLarge(ServiceError):
    status = 413
    code = "too_large"
    default_message = gettext_lazy("The message is larger than the limit of %(mb)s MB.")

    def __init__(self):
        super().__init__(self.default_message % {"mb": round(max_inbound_bytes() / (1024 * 1024), 1)})


class RawMessageParser(BaseParser):
    """The request body is the message itself (``Content-Type: message/rfc822``); read
    at most the limit, so an endless body is cut off, not buffered."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_inbound_bytes()
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise MessageTooLarge()
        return {"raw": data}


# Templates ----------------------------------------------------------------------------
class EmailTemplateSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    can_change = serializers.SerializerMethodField()

    class Meta:
        model = EmailTemplate
        fields = ("id", *EmailTemplate.EDITABLE_FIELDS, "owner", "can_change", "created_at", "updated_at")
        read_only_fields = ("id", "owner", "created_at", "updated_at")

    def get_can_change(self, obj) -> bool:
        request = self.context.get("request")
        return bool(request and services.can_change_template(request.user, obj))


class PreviewRequestSerializer(serializers.Serializer):
    contact = serializers.IntegerField(min_value=1, help_text="A contact you can see.")
    deal = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class PreviewSerializer(serializers.Serializer):
    subject = serializers.CharField()
    body = serializers.CharField()


class MailerMixin:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        activate_user_preferences(request, request.user)
        if request.user.is_authenticated:
            services.require_mailer(request.user)


class EmailTemplateViewSet(
    MailerMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """E-mail templates: your own and the shared ones (administrators see all). The
    subject and the plain-text body may hold merge fields: `{{ contact.first_name }}`,
    `{{ contact.last_name }}`, `{{ contact.name }}`, `{{ contact.title }}`,
    `{{ company.name }}`, `{{ deal.name }}`, `{{ user.name }}`, `{{ user.email }}`,
    `{{ user.phone }}`; any other `{{ … }}` is refused. Only the owner and
    administrators change or delete a template. Filter with `?language=` and `?active=`."""

    serializer_class = EmailTemplateSerializer

    def get_queryset(self):
        qs = templates_visible_to(self.request.user).order_by("name", "pk")
        language = self.request.query_params.get("language")
        if language:
            qs = qs.filter(language=language)
        active = self.request.query_params.get("active")
        if active in ("true", "false"):
            qs = qs.filter(active=active == "true")
        return qs

    def perform_create(self, serializer):
        serializer.instance = services.template_create(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = services.template_update(
            instance=serializer.instance, actor=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        services.template_delete(instance=instance, actor=self.request.user)

    @extend_schema(request=PreviewRequestSerializer, responses={200: PreviewSerializer})
    @action(detail=True, methods=["post"])
    def preview(self, request, pk=None):
        """The subject and body as the contact would receive them."""
        template = self.get_object()
        data = PreviewRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subject, body = services.email_preview(
            actor=request.user,
            contact=data.validated_data["contact"],
            deal=data.validated_data.get("deal"),
            subject=template.subject,
            body=template.body,
        )
        return Response({"subject": subject, "body": body})


# Messages -----------------------------------------------------------------------------
class EmailMessageSerializer(serializers.ModelSerializer):
    subject = serializers.CharField(source="activity.subject", read_only=True)
    contact = serializers.IntegerField(source="activity.contact_id", read_only=True, allow_null=True)
    company = serializers.IntegerField(source="activity.company_id", read_only=True, allow_null=True)
    deal = serializers.IntegerField(source="activity.deal_id", read_only=True, allow_null=True)
    contacts = serializers.SerializerMethodField(help_text="Every matched contact you can see.")
    # Plain strings with their values described: "direction" and "source" name other
    # sets of values elsewhere in the API (no shared enum component).
    direction = serializers.CharField(read_only=True, help_text="`out` (sent) or `in` (received).")
    source = serializers.CharField(
        read_only=True,
        help_text="`crm` (sent from the CRM), `address` (through a logging address) or `upload` (posted or "
        "uploaded by the user).",
    )

    class Meta:
        model = EmailMessage
        fields = (
            "id",
            "activity",
            "subject",
            "direction",
            "source",
            "from_address",
            "to_addresses",
            "cc_addresses",
            "message_id",
            "sent_at",
            "attachment_names",
            "contact",
            "company",
            "deal",
            "contacts",
            "template",
            "logged_by",
            "created_at",
        )
        read_only_fields = fields

    def get_contacts(self, obj) -> list[int]:
        visible = getattr(obj, "visible_contacts", None)
        if visible is None:
            request = self.context.get("request")
            visible = list(visible_to(request.user, Contact).filter(email_messages=obj)) if request else []
        return sorted(c.pk for c in visible)


class SendSerializer(serializers.Serializer):
    contact = serializers.IntegerField(min_value=1, help_text="A contact you can see, with an e-mail address.")
    template = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="Fills a subject or body you leave out."
    )
    subject = serializers.CharField(required=False, allow_blank=True, max_length=400)
    body = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    deal = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    cc = serializers.ListField(child=serializers.CharField(max_length=320), required=False, max_length=50)

    def validate(self, attrs):
        if not attrs.get("template") and not (attrs.get("subject") and attrs.get("body")):
            raise serializers.ValidationError({"body": [_("Give a subject and a body, or a template.")]})
        return attrs


INBOUND_RESPONSES = {
    201: EmailMessageSerializer,
    200: OpenApiResponse(EmailMessageSerializer, description="Already logged: the message logged the first time."),
    400: OpenApiResponse(description="Not an e-mail message the CRM can read."),
    403: OpenApiResponse(description="No valid logging address among the recipients, and no other authentication."),
    409: OpenApiResponse(description="Already logged by someone whose e-mail you cannot see."),
    413: OpenApiResponse(description="Larger than EMAIL_MAX_INBOUND_BYTES."),
    422: OpenApiResponse(description="No contact you can see has one of the message's addresses."),
}


class EmailMessageViewSet(MailerMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """E-mails logged in the CRM (sent from it, or logged from elsewhere), each an
    e-mail activity: you see those whose activity you may see. Filter with
    `?contact=`, `?deal=` or `?direction=in|out`."""

    serializer_class = EmailMessageSerializer

    def get_queryset(self):
        user = self.request.user
        qs = emails_visible_to(user).prefetch_related(
            Prefetch("contacts", queryset=visible_to(user, Contact).only("pk"), to_attr="visible_contacts")
        )
        params = self.request.query_params
        for name, lookup in (("contact", "contacts"), ("deal", "activity__deal")):
            value = params.get(name)
            if value:
                if not value.isdigit():
                    raise ValidationFailed(fields={name: [_("Enter a whole number.")]})
                qs = qs.filter(**{lookup: int(value)}).distinct()
        if params.get("direction") in ("in", "out"):
            qs = qs.filter(direction=params["direction"])
        return qs.order_by("-sent_at", "-id")

    def initial(self, request, *args, **kwargs):
        if self.action == "inbound":
            # Refused before anything is read or anyone authenticated.
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > max_inbound_bytes():
                raise MessageTooLarge()
        super().initial(request, *args, **kwargs)

    @extend_schema(request=SendSerializer, responses={201: EmailMessageSerializer})
    @action(detail=False, methods=["post"])
    def send(self, request):
        """Send an e-mail to a contact through the CRM's mail server (merge fields
        rendered; from the CRM's address with your name, replies to your e-mail) and log
        it on the contact's timeline. A mail server failure is 502 and logs nothing."""
        data = SendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        message = services.email_send(
            actor=request.user,
            contact=values["contact"],
            subject=values.get("subject", ""),
            body=values.get("body", ""),
            deal=values.get("deal"),
            template=values.get("template"),
            cc=values.get("cc", ()),
        )
        message = self.get_queryset().get(pk=message.pk)
        return Response(self.get_serializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={
            "message/rfc822": OpenApiTypes.BINARY,
            "multipart/form-data": inline_serializer("InboundUpload", {"file": serializers.FileField()}),
        },
        responses=INBOUND_RESPONSES,
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[RawMessageParser, MultiPartParser],
        permission_classes=[AllowAny],
    )
    def inbound(self, request):
        """Log a message sent or received elsewhere: the raw RFC 822 message as the body
        (`Content-Type: message/rfc822`) or a multipart upload in `file`. Signed in (token
        or session), it is logged as you; otherwise it must be addressed (To, Cc, Bcc,
        Delivered-To or X-Original-To) to a user's logging address
        `log+<token>@<INBOUND_EMAIL_DOMAIN>` and is logged as that user: this is how the
        mail gateway posts what reaches the logging addresses. The activity goes on the
        first contact matched by address (the others are recorded); the same Message-ID
        twice is logged once."""
        raw = request.data.get("raw") if hasattr(request.data, "get") else None
        if raw is None:
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationFailed(fields={"file": [_("Send the message as the body or as the file field.")]})
            if upload.size > max_inbound_bytes():
                raise MessageTooLarge()
            raw = upload.read()
        user = request.user if request.user.is_authenticated else None
        if user is not None and not user.has_perm(services.SEND_PERMISSION):
            raise PermissionDeniedError()
        if user is not None:
            activate_user_preferences(request, user)
        message, created = services.email_log_inbound(raw=raw, user=user, source=EmailSource.UPLOAD)
        message = EmailMessage.objects.select_related("activity").get(pk=message.pk)
        serializer = EmailMessageSerializer(message, context={"request": _RequestAs(request, message.logged_by)})
        return Response(serializer.data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class _RequestAs:
    """The serializer context for a message logged through the gateway: the contacts
    shown are those the user it was logged for may see."""

    def __init__(self, request, user):
        self._request = request
        self.user = request.user if request.user.is_authenticated else user

    def __getattr__(self, name):
        return getattr(self._request, name)
