"""What the reviews API tests share (no tests of its own): clients signed in
with a token as integrations are, the URLs, request bodies."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import Workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from . import factories

REVIEWS = "/api/v1/reviews/"
OBJECTIVES = "/api/v1/objectives/"
SCHEDULE = "/api/v1/reviews/schedule/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def client_for(user) -> APIClient:
    """A client authenticated with the user's API token."""
    client = APIClient(**EN)
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def url(id, *parts: str) -> str:
    path = REVIEWS + "".join(f"{part}/" for part in (str(id), *parts))
    return path.removesuffix("/") if path.endswith(".docx/") else path


def plan_body(**extra) -> dict:
    planned = factories.today() + timedelta(days=10)
    return {
        "planned_date": planned.isoformat(),
        "location": "三楼会议室",
        "participants": ["gm", "mr", "controller", "tech_manager"],
        "assignments": [
            {"section": "performance", "department": "技术部"},
            {
                "section": "resources",
                "department": "行政部",
                "due_date": (planned - timedelta(days=3)).isoformat(),
            },
        ],
        **extra,
    }


def meeting_body(**extra) -> dict:
    return {
        "held_on": factories.today().isoformat(),
        "attendees": ["gm", "mr", "controller", "tech_manager"],
        "discussions": {"objectives": "目标基本达成。"},
        "mr_report": "体系运行正常。",
        "evaluation": "总体有效。",
        "suitability": "yes",
        "adequacy": "yes",
        "effectiveness": "partly",
        "conclusion_system": "体系适宜。",
        "conclusion_service": "服务满足要求。",
        "conclusion_resources": "资源充分。",
        **extra,
    }


def workbook(rows: list[tuple], heading=("指标", "期间", "实际值", "备注")) -> bytes:
    book = Workbook()
    sheet = book.active
    if heading:
        sheet.append(list(heading))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def last_month() -> str:
    first = factories.today().replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


def last_quarter() -> str:
    today = factories.today()
    quarter = (today.month - 1) // 3 + 1
    year = today.year
    quarter -= 1
    if quarter == 0:
        year, quarter = year - 1, 4
    return f"{year}Q{quarter}"
