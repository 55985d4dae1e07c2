"""The demo's compliance data: who answers for each clause of ISO/IEC
20000-1:2018 (the function allocation matrix and the process owners), which demo
documents meet which clauses, and a handful of nonconformities at different
points of their corrective action.

The matrix and the process owners are organisation reference data, loaded with
the demo users too (``load_demo --users-only``); the traceability and the
nonconformities need the demo documents and come with the full demo only.

The links and the nonconformities are written through
:mod:`compliance.services` and :mod:`compliance.nonconformities`, so the demo
leaves the same audit trail as real use. The matrix (180 cells) and the
processes (reference data edited as snippets, with no service) load with every
``--users-only`` run, which many tests start with, so they are written in bulk
after the service's permission check, with the log entries the service or the
snippet editor would write. Every step only adds what is missing, so a second
run changes nothing and an edit made since (a cell of the matrix, a process
owner, a note) is left as it is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry, ReferenceIndex

from documents.demo import DemoError
from documents.lifecycle import InvalidTransition
from documents.models import Department, DocumentPage

from . import nonconformities as nc_services
from . import services
from .catalogue import catalogues_ensure
from .clauses import sort_key
from .lifecycle import NonconformitySource, ResponsibilityLevel
from .models import (
    Clause,
    ClauseDocumentLink,
    Nonconformity,
    NonconformityGrade,
    Process,
)

STANDARD = "iso20000-1-2018"
RESPONSIBILITY_ACTION = "shoukong.compliance.responsibility_set"
DEPARTMENTS = ("管理层", "行政部", "市场部", "技术部")

# 职能分配表: the ★ department of each clause; the three others support it
# (☆). Heading clauses (4, 8.2 …) and fourth-level ones have no row.
PRIMARY: dict[str, tuple[str, ...]] = {
    "管理层": (
        "4.1",
        "4.2",
        "4.3",
        "4.4",
        "5.1",
        "5.2",
        "5.3",
        "6.1",
        "6.2",
        "6.3",
        "7.1",
        "9.3",
        "10.2",
    ),
    "行政部": (
        "7.2",
        "7.3",
        "7.4",
        "7.5",
        "7.6",
        "8.3.4",
        "8.4.1",
        "9.1",
        "9.2",
        "10.1",
    ),
    "市场部": ("8.2.4", "8.3.1", "8.3.2", "8.3.3", "8.4.2"),
    "技术部": (
        "8.1",
        "8.2.1",
        "8.2.2",
        "8.2.3",
        "8.2.5",
        "8.2.6",
        "8.4.3",
        "8.5.1",
        "8.5.2",
        "8.5.3",
        "8.6.1",
        "8.6.2",
        "8.6.3",
        "8.7.1",
        "8.7.2",
        "8.7.3",
        "9.4",
    ),
}


@dataclass(frozen=True)
class DemoProcess:
    """A process, its owner (a demo username), department and clauses."""

    name: str
    owner: str
    department: str
    clauses: tuple[str, ...]


# 流程负责人, mapped onto the demo users.
PROCESSES: tuple[DemoProcess, ...] = (
    DemoProcess("事件和服务请求管理", "tech_manager", "技术部", ("8.6.1", "8.6.2")),
    DemoProcess("问题管理", "tech_manager", "技术部", ("8.6.3",)),
    DemoProcess(
        "变更管理", "tech_manager", "技术部", ("8.5.1", "8.5.1.1", "8.5.1.2", "8.5.1.3")
    ),
    DemoProcess("发布管理", "tech_manager", "技术部", ("8.5.3",)),
    DemoProcess("配置管理", "tech_manager", "技术部", ("8.2.6",)),
    DemoProcess("服务连续性和可用性管理", "tech_manager", "技术部", ("8.7.1", "8.7.2")),
    DemoProcess("容量管理", "tech_manager", "技术部", ("8.4.3",)),
    DemoProcess("服务报告", "tech_manager", "技术部", ("9.4",)),
    DemoProcess(
        "新服务或变更服务的设计",
        "tech_manager",
        "技术部",
        ("8.5.2", "8.5.2.1", "8.5.2.2", "8.5.2.3"),
    ),
    DemoProcess("内部审核", "mr", "管理层", ("9.2",)),
    DemoProcess("管理评审", "mr", "管理层", ("9.3",)),
    DemoProcess("服务改进", "mr", "管理层", ("10.1", "10.2")),
    DemoProcess(
        "信息安全管理", "mr", "管理层", ("8.7.3", "8.7.3.1", "8.7.3.2", "8.7.3.3")
    ),
    DemoProcess("服务级别管理", "market_manager", "市场部", ("8.3.3",)),
    DemoProcess("客户关系管理", "market_manager", "市场部", ("8.3.2",)),
    DemoProcess("供应商管理", "controller", "行政部", ("8.3.4", "8.3.4.1", "8.3.4.2")),
    DemoProcess("人力资源管理", "controller", "行政部", ("7.2", "7.3")),
    DemoProcess("服务预算和核算管理", "controller", "行政部", ("8.4.1",)),
)

# Which demo document meets which clause, and how. Left without a document on
# purpose, so the coverage view has gaps to show: 7.1, 7.4, 7.6, 8.1, 8.2.1 to
# 8.2.5, 8.4.*, 8.7.3 and 9.1. 9.2 has only documents overdue for review.
LINKS: tuple[tuple[str, str, str], ...] = (
    ("4", "A01", "手册第4章分析公司内外部环境和相关方，并划定服务管理体系的范围。"),
    ("5", "A01", "手册第5章写明最高管理者的承诺、服务管理方针和各岗位职责。"),
    ("6", "A01", "手册第6章给出风险和机遇的应对思路以及年度服务管理目标。"),
    ("10.2", "A01", "手册第10章说明改进机会如何收集、评价优先级并跟踪落实。"),
    ("7.2", "B04", "规定岗位能力要求的确定、培训的安排和效果评价。"),
    ("7.3", "B04", "新员工入职培训包含服务管理方针和本岗位在体系中的作用。"),
    ("7.2", "D0401", "培训签到及评价记录是员工能力的证据。"),
    ("7.5", "B05", "规定体系文件从起草、审批、发布、更改到作废的全过程控制。"),
    ("7.5", "B06", "规定记录的标识、保存、保护、检索和到期处置。"),
    ("7.5.3", "B05", "受控标识、分发号和旧版回收保证使用处拿到的是现行版本。"),
    ("7.5.3", "B06", "按记录清单规定的保存期限和保管部门控制记录。"),
    ("7.5.3", "C0501", "电子文件发放的具体操作，保证只发放现行有效版本。"),
    ("7.5.3", "D0501", "受控文件清单登记每份文件的现行版次和发布日期。"),
    ("7.5.3", "D0601", "记录清单列出各类记录的保存期限和保管部门。"),
    ("8.2.6", "B11", "规定配置项的识别、登记、变更后更新和定期审计。"),
    ("8.2.6", "C1101", "说明变更实施后如何同步更新配置管理数据库。"),
    ("8.2.6", "D1101", "配置项登记表记录每个配置项的属性和关系。"),
    ("8.3.2", "B02", "规定客户沟通渠道、满意度调查和投诉处理。"),
    ("8.3.3", "B01", "规定服务目录和服务级别协议的制定、监视和评审。"),
    ("8.3.4", "B03", "规定供应商的选择、评价、合同管理和绩效监视。"),
    ("8.3.4", "D0301", "合格供应商名录记录评价合格的供应商及其服务范围。"),
    ("8.5.1", "B07", "规定变更的提出、分类、评估、审批、实施和回顾。"),
    ("8.5.1", "C0701", "说明变更咨询委员会何时召开、由谁参加、如何决策。"),
    ("8.5.1", "D0701", "每项变更都用变更申请单记录评估、审批和实施结果。"),
    ("8.5.1", "D0702", "记录重大变更在CAB会议上的评审意见。"),
    ("8.5.3", "B08", "规定发布的计划、构建、测试、部署和回退。"),
    ("8.6.1", "B09", "规定事件的记录、分级、处理、升级和关闭。"),
    ("8.6.1", "C0901", "重大事件的通报、协调和事后回顾。"),
    ("8.6.1", "D0901", "事件记录单记录每个事件从报告到关闭的经过。"),
    ("8.6.2", "B09", "服务请求与事件一起受理、记录和跟踪。"),
    ("8.6.3", "B10", "规定问题的识别、根因分析、已知错误和解决。"),
    ("8.6.3", "D1001", "问题记录单记录根本原因和临时解决办法。"),
    ("8.7.1", "B12", "规定可用性目标的确定、监视和不可用情况的分析。"),
    ("8.7.2", "B12", "规定连续性计划的编制、演练和评审。"),
    ("8.7.2", "C1201", "数据备份的日常检查是恢复能力的基础。"),
    ("9.2", "B13", "规定年度内审计划、审核实施、不符合项报告和跟踪。"),
    ("9.2", "D1301", "年度内审计划安排每个过程的审核时间和审核员。"),
    ("9.2", "D1302", "内审检查表列出各条款的审核要点。"),
    ("9.2", "D1303", "内审不符合报告记录审核发现及其处理。"),
    ("9.2", "D1306", "内审报告汇总每次审核的结论和对体系的评价，批准后发放。"),
    ("9.3", "B14", "规定管理评审的输入、会议组织和输出的跟踪。"),
    ("9.3", "D1401", "管理评审计划明确评审时间、议题和参加人员。"),
    ("9.3", "D1402", "管理评审报告记录评审结论和改进决定。"),
    ("9.4", "C0101", "说明月度服务报告的内容、数据来源和发送对象。"),
    ("9.4", "D0101", "月度服务报告向客户报告服务级别达成情况。"),
    ("10.1", "B15", "规定不符合的纠正、原因分析、纠正措施和有效性验证。"),
    ("10.1", "D1501", "纠正措施计划表记录原因、措施、责任人和完成期限。"),
)


@dataclass(frozen=True)
class Step:
    """One step of a demo nonconformity's action, by a demo user.

    ``action`` is plan, accept, implement, verify or close; ``text`` is the
    comment, description, opinion or note; ``effective`` is for verify."""

    action: str
    user: str
    text: str = ""
    effective: bool = True


@dataclass(frozen=True)
class DemoPlan:
    root_cause: str
    target: str
    actions: str
    owner: str
    due_in_days: int
    correction: str = ""


@dataclass(frozen=True)
class DemoNonconformity:
    """A demo nonconformity, found again by its title."""

    title: str
    facts: str
    grade: str
    clause: str
    department: str
    source: str
    raised_by: str
    source_reference: str = ""
    documents: tuple[str, ...] = ()
    plan: DemoPlan | None = None
    steps: tuple[Step, ...] = ()


NONCONFORMITIES: tuple[DemoNonconformity, ...] = (
    # A major one, accepted and under way.
    DemoNonconformity(
        title="紧急变更上线后未补做评审",
        facts=(
            "服务门户数据库连接池调整按紧急变更处理，实施后既没有补开CAB评审，"
            "也没有更新变更申请单，次日门户因配置不一致中断约四十分钟。"
        ),
        grade="major",
        clause="8.5.1",
        department="技术部",
        source=NonconformitySource.INCIDENT_PROBLEM,
        raised_by="controller",
        documents=("B07",),
        plan=DemoPlan(
            root_cause="变更管理程序只写了紧急变更的事前快速审批，没有要求事后补评审和补记录。",
            target="每一项紧急变更在实施后两个工作日内完成补充评审，变更单信息完整。",
            actions=(
                "1. 修订变更管理程序，加入紧急变更的事后评审要求；\n"
                "2. 对技术部全体值班人员培训新要求；\n"
                "3. 连续三个月每月抽查紧急变更记录。"
            ),
            owner="staff",
            due_in_days=30,
            correction="已补做本次变更的评审，变更申请单已补全。",
        ),
        steps=(
            Step("plan", "staff"),
            Step("accept", "tech_manager", "同意，按期完成。"),
        ),
    ),
    # A minor one whose action falls due in a few days.
    DemoNonconformity(
        title="市场部共享盘仍保留作废的协议模板",
        facts=(
            "文控月度检查发现，市场部共享盘里的服务级别协议模板仍是旧版，"
            "与受控文件清单登记的现行版本不一致，已有一份新合同使用了旧模板。"
        ),
        grade="minor",
        clause="7.5.3",
        department="市场部",
        source=NonconformitySource.MONITORING,
        raised_by="controller",
        documents=("B05",),
        plan=DemoPlan(
            root_cause="部门自存的文件副本不在回收范围内，新版发布时没有人负责替换。",
            target="部门共享盘不再存放受控文件的副本，一律链接到文件库的现行版本。",
            actions=(
                "清理共享盘中的受控文件副本，改为文件库链接；"
                "核对已签合同，使用旧模板的补签附件。"
            ),
            owner="market_manager",
            due_in_days=3,
            correction="已删除旧模板，并通知部门同事改用文件库中的现行版本。",
        ),
        steps=(
            Step("plan", "market_manager"),
            Step("accept", "market_manager", "本周内完成。"),
        ),
    ),
    # An internal audit finding waiting for 管理者代表's approval.
    DemoNonconformity(
        title="配置管理数据库未随变更更新",
        facts=(
            "内审抽查五项已完成的变更，其中两项涉及的服务器在配置管理数据库中"
            "仍登记为变更前的内存和操作系统版本。"
        ),
        grade="minor",
        clause="8.2.6",
        department="技术部",
        source=NonconformitySource.INTERNAL_AUDIT,
        raised_by="auditor",
        source_reference="年度内审 技术部 第2项",
        documents=("B11",),
    ),
    # An observation closed with a note and no action.
    DemoNonconformity(
        title="客户满意度调查回收率偏低",
        facts=(
            "上季度发出的满意度调查问卷只收回不到三成，"
            "调查结果能否代表客户的整体意见值得关注。"
        ),
        grade="observation",
        clause="8.3.2",
        department="市场部",
        source=NonconformitySource.DATA_ANALYSIS,
        raised_by="auditor",
        steps=(
            Step(
                "close",
                "controller",
                "市场部已在部门例会上讨论，下季度改为电话回访补充，无需单独立项。",
            ),
        ),
    ),
    # Verified not effective once, reopened, then effective and closed.
    DemoNonconformity(
        title="重大事件未在约定时限内通知客户",
        facts=(
            "客户投诉：邮件服务一次中断持续约两小时，值班人员在恢复后才通知客户，"
            "超出服务级别协议约定的三十分钟通报时限。"
        ),
        grade="minor",
        clause="8.6.1",
        department="技术部",
        source=NonconformitySource.CUSTOMER_COMPLAINT,
        raised_by="market_manager",
        documents=("B09", "C0901"),
        plan=DemoPlan(
            root_cause="重大事件处理指引没有写明通报时限和由谁通报，值班人员只顾抢修。",
            target="重大事件发生后三十分钟内通知所有受影响的客户。",
            actions="在重大事件处理指引中写明通报时限、通报人和通报模板，并在周会上宣贯。",
            owner="staff",
            due_in_days=14,
            correction="已向客户书面说明中断原因并致歉。",
        ),
        steps=(
            Step("plan", "staff"),
            Step("accept", "tech_manager", "同意。"),
            Step(
                "implement",
                "staff",
                "已修订重大事件处理指引并在周会上向值班人员宣贯。",
            ),
            Step(
                "verify",
                "controller",
                "抽查之后的两次重大事件，仍有一次超过三十分钟才通知客户，措施没有落实到位。",
                effective=False,
            ),
            Step(
                "implement",
                "staff",
                "监控平台对重大事件自动提醒值班人员通报，客户通报时间成为事件记录单的必填栏目。",
            ),
            Step(
                "verify",
                "controller",
                "连续三周的重大事件均在二十分钟内完成通报，措施有效。",
            ),
            Step("close", "controller"),
        ),
    ),
)

USERNAMES = ("controller", "mr", "auditor", "staff", "tech_manager", "market_manager")


@dataclass
class ComplianceDemoReport:
    """What one run of :func:`demo_compliance_ensure` did."""

    catalogues_loaded: list[str] = field(default_factory=list)
    matrix_rows_set: list[str] = field(default_factory=list)
    processes_created: list[str] = field(default_factory=list)
    processes_completed: list[str] = field(default_factory=list)
    links_created: list[str] = field(default_factory=list)
    nonconformities_created: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.catalogues_loaded
            or self.matrix_rows_set
            or self.processes_created
            or self.processes_completed
            or self.links_created
            or self.nonconformities_created
        )


def _users() -> dict:
    return {
        u.username: u
        for u in get_user_model().objects.filter(username__in=USERNAMES, is_active=True)
    }


def _clauses(refs) -> dict[str, Clause]:
    return {
        c.ref_id: c
        for c in Clause.objects.active()
        .filter(standard__ref_id=STANDARD, ref_id__in=set(refs))
        .select_related("standard")
    }


def _matrix_ensure(report: ComplianceDemoReport, *, user) -> None:
    """Fill the row of each clause that has no cell yet (★ and three ☆), in
    bulk: many tests start with ``load_demo --users-only``."""
    departments = {d.name: d for d in Department.objects.filter(name__in=DEPARTMENTS)}
    if len(departments) != len(DEPARTMENTS):
        return
    primary_of = {ref: dept for dept, refs in PRIMARY.items() for ref in refs}
    clauses = _clauses(primary_of)
    rows = {
        clauses[ref]: {
            departments[name]: (
                ResponsibilityLevel.PRIMARY
                if name == primary
                else ResponsibilityLevel.SUPPORTING
            )
            for name in DEPARTMENTS
        }
        for ref, primary in sorted(primary_of.items(), key=lambda i: sort_key(i[0]))
        if ref in clauses
    }
    filled = services.responsibility_rows_fill(user=user, rows=rows)
    report.matrix_rows_set.extend(clause.ref_id for clause in filled)


def _log_entries(instances, *, action: str, user, run: uuid.UUID, data=None):
    """The entries ``wagtail.log_actions.log`` would write, to bulk-create."""
    now = timezone.now()
    return [
        ModelLogEntry(
            content_type=ContentType.objects.get_for_model(
                instance, for_concrete_model=False
            ),
            object_id=str(instance.pk),
            label=str(instance),
            action=action,
            data=data(instance) if data else {},
            user=user,
            timestamp=now,
            uuid=run,
        )
        for instance in instances
    ]


def _processes_ensure(report: ComplianceDemoReport, *, users: dict, actor) -> None:
    """Create the missing processes (in bulk, as the matrix; logged as the
    snippet editor logs a creation); on an existing one, fill in only an owner
    or clauses it lacks."""
    departments = {d.name: d for d in Department.objects.all()}
    clauses = _clauses(ref for spec in PROCESSES for ref in spec.clauses)
    existing = {p.name: p for p in Process.objects.prefetch_related("clauses")}
    created: list[tuple[Process, list[Clause]]] = []
    for order, spec in enumerate(PROCESSES, start=1):
        owner = users.get(spec.owner)
        wanted = [clauses[ref] for ref in spec.clauses if ref in clauses]
        process = existing.get(spec.name)
        if process is None:
            department = departments.get(spec.department)
            if department is not None:
                process = Process(
                    name=spec.name, owner=owner, department=department, sort_order=order
                )
                created.append((process, wanted))
            continue
        completed = False
        if process.owner_id is None and owner is not None:
            process.owner = owner
            process.save(update_fields=["owner"])
            completed = True
        if not process.clauses.all() and wanted:
            process.clauses.set(wanted)
            completed = True
        if completed:
            log(instance=process, action="wagtail.edit", user=actor)
            report.processes_completed.append(spec.name)
    if not created:
        return
    Process.objects.bulk_create([process for process, _wanted in created])
    Process.clauses.through.objects.bulk_create(
        Process.clauses.through(process_id=process.pk, clause_id=clause.pk)
        for process, wanted in created
        for clause in wanted
    )
    ModelLogEntry.objects.bulk_create(
        _log_entries(
            [process for process, _wanted in created],
            action="wagtail.create",
            user=actor,
            run=uuid.uuid4(),
        )
    )
    for process, _wanted in created:
        # What the post_save receiver bulk_create skips would have done.
        ReferenceIndex.create_or_update_for_object(process)
        report.processes_created.append(process.name)


def _links_ensure(report: ComplianceDemoReport, *, user) -> None:
    """Trace the demo documents to their clauses, once each."""
    clauses = _clauses(ref for ref, _number, _note in LINKS)
    documents = {
        page.number: page
        for page in DocumentPage.objects.filter(
            number__in={number for _ref, number, _note in LINKS}
        )
    }
    linked = set(
        ClauseDocumentLink.objects.filter(clause__in=clauses.values()).values_list(
            "clause_id", "document_id"
        )
    )
    for ref, number, note in LINKS:
        clause, document = clauses.get(ref), documents.get(number)
        if clause is None or document is None:
            continue
        if (clause.pk, document.pk) in linked:
            continue
        services.document_link(user=user, clause=clause, document=document, note=note)
        linked.add((clause.pk, document.pk))
        report.links_created.append(f"{ref} {number}")


def _nonconformity_create(spec: DemoNonconformity, users: dict) -> Nonconformity:
    documents = list(DocumentPage.objects.filter(number__in=spec.documents))
    nc = nc_services.nonconformity_raise(
        user=users[spec.raised_by],
        title=spec.title,
        facts=spec.facts,
        department=Department.objects.get(name=spec.department),
        grade=NonconformityGrade.objects.get(code=spec.grade),
        source=spec.source,
        clause=services.clause_for(spec.clause, standard=STANDARD),
        documents=documents,
        source_reference=spec.source_reference,
    )
    today = nc_services.company_today()
    for step in spec.steps:
        user = users[step.user]
        if step.action == "plan":
            plan = spec.plan
            nc_services.nonconformity_plan(
                user=user,
                nonconformity=nc,
                root_cause=plan.root_cause,
                target=plan.target,
                actions=plan.actions,
                owner=users[plan.owner],
                due_date=today + timedelta(days=plan.due_in_days),
                correction=plan.correction,
            )
        elif step.action == "accept":
            nc_services.nonconformity_accept(
                user=user, nonconformity=nc, comment=step.text
            )
        elif step.action == "implement":
            nc_services.nonconformity_implement(
                user=user, nonconformity=nc, description=step.text
            )
        elif step.action == "verify":
            nc_services.nonconformity_verify(
                user=user,
                nonconformity=nc,
                effective=step.effective,
                comment=step.text,
            )
        elif step.action == "close":
            nc_services.nonconformity_close(user=user, nonconformity=nc, note=step.text)
        else:  # pragma: no cover - a typo in the data above
            raise ValueError(step.action)
        nc = Nonconformity.objects.get(pk=nc.pk)
    return nc


def _nonconformities_ensure(report: ComplianceDemoReport, *, users: dict) -> None:
    """Raise each demo nonconformity not raised yet and take it to its state."""
    titles = set(
        Nonconformity.objects.filter(
            title__in=[spec.title for spec in NONCONFORMITIES]
        ).values_list("title", flat=True)
    )
    for spec in NONCONFORMITIES:
        if spec.title in titles:
            continue
        try:
            nc = _nonconformity_create(spec, users)
        except (PermissionDenied, ValidationError, InvalidTransition) as exc:
            detail = (
                "; ".join(exc.messages)
                if isinstance(exc, ValidationError)
                else str(exc) or _("permission denied")
            )
            raise DemoError(
                _(
                    "The demo nonconformity “%(title)s” could not be entered: "
                    "%(detail)s. Have the demo users' roles or departments been "
                    "changed?"
                )
                % {"title": spec.title, "detail": detail}
            ) from exc
        report.nonconformities_created.append(nc.number)


@transaction.atomic
def demo_compliance_ensure(*, users_only: bool) -> ComplianceDemoReport:
    """Load the compliance demo; a second run finds everything and does
    nothing. With ``users_only``, only the organisation's reference data (the
    matrix and the process owners)."""
    report = ComplianceDemoReport()
    report.catalogues_loaded += [
        result.standard for result in catalogues_ensure() if result.changed
    ]
    users = _users()
    mr, controller = users.get("mr"), users.get("controller")
    try:
        if mr is not None:
            _matrix_ensure(report, user=mr)
            _processes_ensure(report, users=users, actor=mr)
        if users_only:
            return report
        if controller is not None:
            _links_ensure(report, user=controller)
    except PermissionDenied as exc:
        raise DemoError(
            _(
                "The demo users may no longer keep the function allocation matrix "
                "or link documents: have their roles been changed?"
            )
        ) from exc
    if (
        len(users) == len(USERNAMES)
        and DocumentPage.objects.filter(
            number__in=[n for spec in NONCONFORMITIES for n in spec.documents]
        ).exists()
    ):
        _nonconformities_ensure(report, users=users)
    return report
