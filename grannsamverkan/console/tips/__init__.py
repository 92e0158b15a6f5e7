"""Tips: the list with filters beside a map of the same tips, a CSV export for police, and a
tip's page with triage (police) and moderation (the area's contact persons and police).

The list is ``services.tips.visible_tips_query`` (police: their municipalities; contact
persons: their areas); a tip's page answers 404 outside that scope, as the API does. Maps
show police the raw point and everyone else the coarsened one (permissions.sees_exact_tip_point).

One blueprint (endpoints ``console.tips.*``), its views in ``listing`` and ``tip_page``.
"""

from __future__ import annotations

from grannsamverkan.console.tips import forwarding, listing, tip_page
from grannsamverkan.console.tips.blueprint import bp

__all__ = ["bp", "forwarding", "listing", "tip_page"]
