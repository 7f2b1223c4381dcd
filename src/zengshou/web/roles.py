"""Roles of the web app and what each may do. One table, so pages, API and tests agree.

A county 农业农村局 clerk, a township cadre and a village secretary work with households and see
personal data of one household on request (audited); region and city users look at statistics and
masked lists; a paired cadre sees only the households paired with him; a department user uploads its
feed and sees match reports, never household lists.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    REGION_ADMIN = "region_admin", "自治区管理员"
    CITY = "city", "市级用户"
    COUNTY = "county", "县级用户"
    TOWNSHIP = "township", "乡镇用户"
    VILLAGE = "village", "村级用户"
    CADRE = "cadre", "帮扶干部"
    DEPARTMENT = "department", "部门用户"


#: The area level each role's area must have (a cadre and a department belong to a county or region).
AREA_LEVELS: dict[str, tuple[str, ...]] = {
    Role.REGION_ADMIN: ("region",),
    Role.CITY: ("city",),
    Role.COUNTY: ("county",),
    Role.TOWNSHIP: ("township",),
    Role.VILLAGE: ("village",),
    Role.CADRE: ("county", "township", "village"),
    Role.DEPARTMENT: ("region", "city", "county"),
}

ALL = frozenset(Role.values)
#: May open household lists, household pages, alerts and the dashboard.
HOUSEHOLD_ROLES = ALL - {Role.DEPARTMENT}
#: May show one household's unmasked names, ID numbers and phones (each time audited).
FULL_VIEW_ROLES = frozenset({Role.COUNTY, Role.TOWNSHIP, Role.VILLAGE, Role.CADRE})
#: May export lists with unmasked personal data (audited).
PERSONAL_EXPORT_ROLES = frozenset({Role.REGION_ADMIN, Role.COUNTY})
#: May export masked lists.
EXPORT_ROLES = HOUSEHOLD_ROLES - {Role.CADRE}
#: Alert workflow: 入户核实 by the village, township, county or the paired cadre; 纳入监测 and
#: 风险消除 are decided by the county (县级审定); 排除 by township or county (乡镇审核).
VERIFY_ROLES = frozenset({Role.COUNTY, Role.TOWNSHIP, Role.VILLAGE, Role.CADRE})
INCLUDE_ROLES = frozenset({Role.COUNTY})
DISMISS_ROLES = frozenset({Role.COUNTY, Role.TOWNSHIP})
ELIMINATE_ROLES = frozenset({Role.COUNTY})
#: May record a visit (记录走访) for a household in scope.
VISIT_ROLES = frozenset({Role.CADRE, Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY})
#: May upload an interchange workbook (writes households).
IMPORT_ROLES = frozenset({Role.REGION_ADMIN, Role.COUNTY})
#: May make and change the column mappings of person lists (列映射): the county for its own lists,
#: the city and the region for their counties (the region also for every county at once).
MAPPING_ROLES = frozenset({Role.REGION_ADMIN, Role.CITY, Role.COUNTY})
#: May upload a department feed.
FEED_ROLES = frozenset({Role.REGION_ADMIN, Role.COUNTY, Role.DEPARTMENT})
#: May search the audit trail.
AUDIT_ROLES = frozenset({Role.REGION_ADMIN})
#: May start the batch of their area: the county (县级审定) and the region and city offices.
BATCH_ROLES = frozenset({Role.REGION_ADMIN, Role.CITY, Role.COUNTY})
#: May change a county's toolbox: that county's users, and the region.
TOOLBOX_EDIT_ROLES = frozenset({Role.COUNTY, Role.REGION_ADMIN})
#: Users of the what-if form: the region and cities over their area, a county over its own households.
WHATIF_ROLES = frozenset({Role.REGION_ADMIN, Role.CITY, Role.COUNTY})
#: Move a plan item on (agreed with the household, delivered).
PLAN_ROLES = frozenset({Role.COUNTY, Role.TOWNSHIP, Role.VILLAGE, Role.CADRE})
#: Propose and confirm pairings: the county (S02 "由县统筹安排"), and the city and the region for
#: their counties (each county is solved on its own; cadres stay in their county).
PAIRING_ROLES = frozenset({Role.COUNTY, Role.CITY, Role.REGION_ADMIN})
#: A 帮扶干部 sees his own households.
MINE_ROLES = frozenset({Role.CADRE})
#: Users of an area, who see its quarterly analysis (M06/S01) and download its report.
ASSESS_ROLES = frozenset({Role.REGION_ADMIN, Role.CITY, Role.COUNTY, Role.TOWNSHIP, Role.VILLAGE})
#: Follow the plans' targets: the areas and the departments responsible for them.
TARGET_ROLES = ASSESS_ROLES | {Role.DEPARTMENT}
#: Report progress on the plans' targets: departments and the region.
PROGRESS_ROLES = frozenset({Role.DEPARTMENT, Role.REGION_ADMIN})


def parse(text: str) -> Role:
    """A role from its key (``county``) or its Chinese name (``县级用户``)."""
    t = text.strip()
    for value, label in Role.choices:
        if t in (value, label):
            return Role(value)
    names = "、".join(f"{label}（{value}）" for value, label in Role.choices)
    raise ValueError(f"未知角色“{text}”，应为：{names} / unknown role")
