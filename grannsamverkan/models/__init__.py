"""SQLAlchemy models; importing this package registers every table on the metadata."""

from grannsamverkan.models.area import Area, Membership
from grannsamverkan.models.broadcast import Broadcast, BroadcastMunicipality, Rsvp
from grannsamverkan.models.geocode import GeocodedAddress
from grannsamverkan.models.help_resource import HelpResource
from grannsamverkan.models.tip import Alert, AlertRecipient, Delivery, IdempotencyKey, Tip
from grannsamverkan.models.user import AuthSession, Device, User

__all__ = [
    "Alert",
    "AlertRecipient",
    "Area",
    "AuthSession",
    "Broadcast",
    "BroadcastMunicipality",
    "Delivery",
    "Device",
    "GeocodedAddress",
    "HelpResource",
    "IdempotencyKey",
    "Membership",
    "Rsvp",
    "Tip",
    "User",
]
