from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers


class TagListField(serializers.ListField):
    child = serializers.CharField(max_length=60)

    def to_representation(self, data):
        items = data.all() if hasattr(data, "all") else data
        return sorted(t.name if hasattr(t, "name") else str(t) for t in items)


class RecordSerializer(serializers.ModelSerializer):
    """Base serializer for records: owner, tags, custom fields and the lock version."""

    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )
    tags = TagListField(required=False)
    custom_fields = serializers.DictField(required=False)
    version = serializers.IntegerField(required=False)
    url = serializers.SerializerMethodField()

    read_only_base = ("id", "created_at", "updated_at", "url")

    def get_url(self, obj) -> str:
        request = self.context.get("request")
        path = obj.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["custom_fields"] = instance.custom_fields or {}
        data["version"] = instance.version
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        kwargs = {"custom_fields": data.pop("custom_fields", None), "tags": data.pop("tags", None)}
        data.pop("version", None)
        kwargs["data"] = data
        return kwargs
