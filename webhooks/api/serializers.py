"""The webhook subscription's API shapes. They check shape only; the services decide
(URL rules, who may subscribe, versions)."""

from rest_framework import serializers

from leadsite.core.events import EVENT_TYPES
from webhooks.models import Attempt, Delivery, Subscription


class SubscriptionSerializer(serializers.ModelSerializer):
    """A subscription as its owner (or an administrator) reads it, its signing
    secret included."""

    owner_name = serializers.CharField(source="owner", read_only=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "version",
            "url",
            "description",
            "events",
            "is_active",
            "paused_at",
            "pause_reason",
            "owner",
            "owner_name",
            "secret",
            "previous_secret_expires_at",
            "failing_since",
            "last_success_at",
            "created_at",
            "modified_at",
        ]
        read_only_fields = fields


class SubscriptionWriteSerializer(serializers.Serializer):
    """Create (POST) and partial update (PATCH)."""

    url = serializers.CharField(max_length=500)
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_TYPES)), allow_empty=False
    )
    is_active = serializers.BooleanField(required=False)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = [
            "number",
            "started_at",
            "outcome",
            "status_code",
            "duration_ms",
            "error",
        ]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    """One event's delivery to the subscription, with every attempt."""

    event_id = serializers.CharField(source="event.message_id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "last_status_code",
            "last_duration_ms",
            "last_error",
            "last_attempt_at",
            "next_attempt_at",
            "created_at",
            "finished_at",
            "attempt_log",
        ]
        read_only_fields = fields
