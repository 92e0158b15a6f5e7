"""SQLAlchemy models, one model family per module; importing this package registers every
table on the metadata, and ``from grannsamverkan.models import X`` finds each of them."""

from grannsamverkan.models.alert import Alert, AlertRecipient
from grannsamverkan.models.area import Area, Membership
from grannsamverkan.models.audit import AuditEvent
from grannsamverkan.models.broadcast import Broadcast, BroadcastMunicipality, Rsvp
from grannsamverkan.models.delivery import Delivery
from grannsamverkan.models.geocode import GeocodedAddress
from grannsamverkan.models.help_resource import HelpResource
from grannsamverkan.models.idempotency import IdempotencyKey
from grannsamverkan.models.invitation import Invitation
from grannsamverkan.models.open311 import TipForward
from grannsamverkan.models.police_event import PoliceEvent
from grannsamverkan.models.scheduled_run import ScheduledRun
from grannsamverkan.models.sms_month import SmsMonth
from grannsamverkan.models.tip import Tip
from grannsamverkan.models.user import AuthSession, Device, User

__all__ = [
    "Alert",
    "AlertRecipient",
    "Area",
    "AuditEvent",
    "AuthSession",
    "Broadcast",
    "BroadcastMunicipality",
    "Delivery",
    "Device",
    "GeocodedAddress",
    "HelpResource",
    "IdempotencyKey",
    "Invitation",
    "Membership",
    "PoliceEvent",
    "Rsvp",
    "SmsMonth",
    "ScheduledRun",
    "Tip",
    "TipForward",
    "User",
]
