"""SQLAlchemy models; importing this package registers every table on the metadata."""

from grannsamverkan.models.area import Area, Membership
from grannsamverkan.models.user import AuthSession, Device, User

__all__ = ["Area", "AuthSession", "Device", "Membership", "User"]
