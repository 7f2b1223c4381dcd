"""A column-mapping profile made in the web (列映射): what a ``data/layouts`` YAML holds, for one
county or the whole region. Read by :func:`zengshou.ingest.national.profile`, written by
:func:`zengshou.ingest.mapping.save` (audited)."""

from __future__ import annotations

from django.db import models


class MappingProfile(models.Model):
    """``content`` has the keys of a layouts YAML (name, header, columns, codes, patterns); the code
    tables come from the profile it was started from, so a county's list is coded as the national one."""

    name = models.CharField("名称", max_length=60, unique=True)
    #: The county whose lists it reads; none: every county of the region may use it.
    county = models.ForeignKey(
        "registry.Area",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mapping_profiles",
        verbose_name="所属县区",
    )
    content = models.JSONField("内容")
    based_on = models.CharField("起始映射", max_length=60, blank=True, default="")
    saved_by = models.CharField("保存人", max_length=150)
    saved_at = models.DateTimeField("保存时间", auto_now=True)

    class Meta:
        verbose_name = "列映射"
        verbose_name_plural = "列映射"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
