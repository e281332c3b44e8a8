from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.accounts.models import Team, User
from crm.accounts.selectors import user_list


class UserSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="role.key", allow_null=True, read_only=True)
    team = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = User
        fields = ("id", "username", "full_name", "email", "team", "role", "language", "time_zone")
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ("id", "name", "parent", "manager")
        read_only_fields = fields


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Active users, for choosing owners. Names and teams only; no secrets."""

    serializer_class = UserSerializer
    filterset_fields = ("team",)
    ordering_fields = ("username", "full_name")

    def get_queryset(self):
        return user_list().order_by("username")

    @extend_schema(responses=UserSerializer)
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def me(self, request):
        """The signed-in user."""
        return Response(UserSerializer(request.user).data)


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Teams and their hierarchy (each team's parent and manager)."""

    serializer_class = TeamSerializer
    queryset = Team.objects.order_by("name")
    ordering_fields = ("name",)
