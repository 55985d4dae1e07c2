"""The demo's document control in motion: a procedure re-issued through its whole
approval chain (copies handed out, the old ones being recalled), another waiting
for its co-signatures, and a change request. Everything goes through the same
services as the admin and the API, with the demo users' passwords.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from documents import approvals, changes
from documents.models import Department, DistributionListEntry, DocumentPage

REISSUED = "B09"
IN_APPROVAL = "B07"
CHANGE_REQUESTED = "B10"
CHAIN = ("tech_manager", "market_manager", "mr", "gm")


def _users() -> dict:
    return {u.username: u for u in get_user_model().objects.all()}


def _sign_through(page: DocumentPage, users: dict, password: str) -> None:
    approvals.document_submit(user=users["controller"], document=page)
    for name in CHAIN:
        approvals.document_act(
            user=users[name], document=page, action="approve", password=password
        )
    approvals.document_act(
        user=users["controller"],
        document=page,
        action="approve",
        password=password,
        attachments_complete=True,
    )


def _revise(page: DocumentPage, users: dict, summary: str, paragraph: str):
    """Edit the draft in memory (relations included) and save it as a revision."""
    page.body = str(page.body) + f"<p>{paragraph}</p>"
    page.change_summary = summary
    page.effective_on = None
    page.save_revision(user=users["controller"], log_action=True)
    return page


def demo_lifecycle_ensure(report, *, password: str) -> None:
    """Add the lifecycle demo once; a second run finds it and does nothing."""
    users = _users()
    signers = [users.get(name) for name in (*CHAIN, "controller")]
    if any(u is None or not u.check_password(password) for u in signers):
        # The demo users keep passwords someone chose: don't sign in their name.
        return
    departments = {d.name: d for d in Department.objects.all()}
    involved = [departments["技术部"], departments["市场部"]]

    page = DocumentPage.objects.filter(number=REISSUED).first()
    if page is not None and not page.signatures.exists():
        page = page.specific
        page.involved_departments.set(involved)
        page.distribution_list.set(
            [
                DistributionListEntry(department=departments["技术部"], copies=2),
                DistributionListEntry(department=departments["市场部"], copies=1),
                DistributionListEntry(
                    holder=users["staff"], copies=1, password_protected=True
                ),
            ]
        )
        page = _revise(
            page,
            users,
            "明确重大事件的升级时限，并增加事件回顾的要求。",
            "重大事件在确认后三十分钟内升级至技术部经理，事后五个工作日内完成事件回顾。",
        )
        _sign_through(page, users, password)
        page = page.get_latest_revision_as_object()
        page = _revise(
            page,
            users,
            "补充夜间值班人员的事件登记方式。",
            "夜间值班人员通过服务台系统登记事件，次日上午由服务台复核。",
        )
        _sign_through(page, users, password)
        report.issues_created.append(f"{REISSUED} ×2")

    page = DocumentPage.objects.filter(number=IN_APPROVAL).first()
    if page is not None and not page.workflow_states.exists():
        page = page.specific
        page.involved_departments.set(involved)
        page = _revise(
            page,
            users,
            "紧急变更增加事后评审。",
            "紧急变更实施后两个工作日内，由变更经理组织事后评审并记录结论。",
        )
        approvals.document_submit(user=users["controller"], document=page)

    page = DocumentPage.objects.filter(number=CHANGE_REQUESTED).first()
    if page is not None and not page.change_requests.exists():
        changes.change_request_create(
            user=users["staff"],
            document=page.specific,
            reason="已知错误库已迁入服务台系统，程序中的记录方式已不符合实际。",
            proposed_change="写明已知错误库所在的系统及其维护人。",
        )
