"""The web import's confirm step checks the file again against the registry as it is at the write."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import make_id
from zengshou import interchange as ix
from zengshou.registry.models import Household, Member
from zengshou.web.models import ImportJob


def _other_household_with(tmp_path: Path, id_number: str) -> Path:
    """Another clerk's CSV folder: household 6405221002019902 in 山门村 with that person as its 户主."""
    from tests.ingest.conftest import write_folder

    household = dict.fromkeys(ix.HOUSEHOLDS.headers, "") | {
        "户编号": "6405221002019902",
        "行政区划代码": "640522100201",
        "户类型": "一般农户",
        "住房安全": "是",
        "饮水安全": "是",
    }
    member = dict.fromkeys(ix.MEMBERS.headers, "") | {
        "户编号": "6405221002019902",
        "姓名": "马成",
        "证件号码": id_number,
        "与户主关系": "户主",
        "健康状况": "健康",
        "劳动技能": "普通劳动力",
        "参加基本医疗保险": "是",
    }
    return write_folder(tmp_path / "other", {"家庭": [household], "家庭成员": [member]})


def test_a_conflict_stored_between_check_and_confirm_is_refused_at_confirm_writing_nothing(
    world, login, tmp_path: Path
) -> None:
    from tests.web.files import workbook
    from zengshou.ingest import load

    person = make_id(903, area="640522")
    c = login("county")
    with open(workbook(tmp_path, person), "rb") as f:
        c.post("/imports/", {"kind": "interchange", "file": SimpleUploadedFile("upload.xlsx", f.read())})
    job = ImportJob.objects.get(created_by="county")
    assert job.status == "ready", job.message
    load(_other_household_with(tmp_path, person), username="other-clerk")

    c.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.status == "invalid", job.message
    assert "重新核对" in job.message and "数据未写入" in job.message
    [error] = job.errors
    assert (error["table"], error["row"], error["column"]) == ("家庭成员", "2", "证件号码")
    assert error["message_zh"] == "该证件号码已登记在其他户（6405221002019902）"
    assert not Household.objects.filter(household_id="6405221002019901").exists()
    assert Member.objects.get(id_number=person).household_id == "6405221002019902"
    html = c.get(f"/imports/{job.pk}/").content.decode()
    assert "该证件号码已登记在其他户" in html and "确认导入" not in html
