"""The demo's records: forms filled by the demo users over the past weeks, a
related record, a correction (划改), confidential training records with their
retention events, old records past retention and a disposal request waiting for
the department head.

Everything goes through :mod:`records.services`, so the demo shows the same
numbers, retention dates and audit trail as real use. It runs once: when a
record of a demo form exists already, it does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from documents.lifecycle import DocumentStatus
from documents.models import Department, DocumentPage

from . import retention, services
from .lifecycle import DisposalMethod
from .models import Record

INCIDENT = "D0901"
PROBLEM = "D1001"
CHANGE = "D0701"
TRAINING = "D0401"
SERVICE_REPORT = "D0101"
DEMO_FORMS = (INCIDENT, PROBLEM, CHANGE, TRAINING, SERVICE_REPORT)
USERNAMES = ("controller", "tech_manager", "market_manager", "staff")

# The employee whose departure is entered, and when (days before today).
LEFT_EMPLOYEE = "吴昊"
LEFT_DAYS_AGO = 40
CURRENT_EMPLOYEE = "周明"


@dataclass(frozen=True)
class DemoRecord:
    """One record to file: ``days_ago`` counts back from today; ``on`` is a fixed
    date (old records, already past retention)."""

    key: str
    form: str
    user: str
    values: dict[str, Any]
    days_ago: int | None = None
    on: date | None = None
    related_to: str | None = None
    subject: str = ""

    def record_date(self, today: date) -> date:
        if self.on is not None:
            return self.on
        return today - timedelta(days=self.days_ago or 0)


# Values are keyed by field label (报告人 …); the services accept labels too, and
# a form released without fields keeps them as free text.
RECORDS: tuple[DemoRecord, ...] = (
    # Incidents of the past weeks (事件记录单, 3 years).
    DemoRecord(
        "projector",
        INCIDENT,
        "staff",
        {
            "报告人": "市场部 刘芳",
            "受影响的服务": "会议室设备",
            "事件描述": "三楼会议室投影仪无法识别笔记本电脑的视频信号。",
            "优先级": "低",
            "发生时间": -20,
            "处理结果": "更换视频转接头后恢复，已在设备台账中登记。",
        },
        days_ago=20,
    ),
    DemoRecord(
        "portal_slow",
        INCIDENT,
        "staff",
        {
            "报告人": "客户服务热线",
            "受影响的服务": "客户服务门户",
            "事件描述": "多家客户反映服务门户登录后页面加载超过二十秒。",
            "优先级": "高",
            "发生时间": -13,
            "处理结果": "重启应用服务器后暂时恢复，已转问题管理查找原因。",
        },
        days_ago=13,
    ),
    DemoRecord(
        "vpn",
        INCIDENT,
        "staff",
        {
            "报告人": "技术部 值班工程师",
            "受影响的服务": "远程办公VPN",
            "事件描述": "两名出差员工无法通过VPN连接公司内网。",
            "优先级": "中",
            "发生时间": -13,
            "处理结果": "为其重置了动态口令令牌，连接恢复。",
        },
        days_ago=13,
    ),
    DemoRecord(
        "certificate",
        INCIDENT,
        "staff",
        {
            "报告人": "监控系统告警",
            "受影响的服务": "企业邮件",
            "事件描述": "邮件网关的服务器证书将在五天后到期。",
            "优先级": "中",
            "发生时间": -6,
            "处理结果": "已申请新证书并在维护窗口内完成替换。",
        },
        days_ago=6,
    ),
    DemoRecord(
        "printer",
        INCIDENT,
        "staff",
        {
            "报告人": "行政部 孙丽娜",
            "受影响的服务": "办公打印",
            "事件描述": "行政部彩色打印机提示卡纸，清理后仍无法打印。",
            "优先级": "低",
            "发生时间": -1,
        },
        days_ago=1,
    ),
    # The problem behind the slow portal: a related record (问题记录单).
    DemoRecord(
        "portal_problem",
        PROBLEM,
        "tech_manager",
        {
            "问题描述": "服务门户在访问高峰时响应缓慢，一周内出现两次。",
            "根本原因": "会话数据写入数据库的连接池上限过低，高峰时请求排队。",
            "临时解决方法": "高峰前重启应用服务器，释放积压的连接。",
            "已登记为已知错误": True,
        },
        days_ago=11,
        related_to="portal_slow",
    ),
    # Changes (变更申请单).
    DemoRecord(
        "pool_change",
        CHANGE,
        "tech_manager",
        {
            "申请人": "技术部 张伟",
            "变更类别": "一般",
            "变更内容": "将服务门户数据库连接池上限由50调整为200。",
            "变更原因": "消除问题记录中查明的高峰期排队。",
            "计划实施日期": -8,
            "回退方案": "恢复原配置文件并重启应用服务。",
        },
        days_ago=10,
    ),
    DemoRecord(
        "firewall_change",
        CHANGE,
        "staff",
        {
            "申请人": "技术部 周明",
            "变更类别": "标准",
            "变更内容": "为新入驻的客户开通监控平台的访问端口。",
            "计划实施日期": -4,
            "回退方案": "删除新增的防火墙策略。",
        },
        days_ago=5,
    ),
    # Training records (培训签到及评价记录): confidential, kept until one
    # year after the employee leaves.
    DemoRecord(
        "training_current",
        TRAINING,
        "controller",
        {
            "员工姓名": CURRENT_EMPLOYEE,
            "所属部门": "技术部",
            "培训课程": "服务管理体系基础与事件处理流程",
            "培训日期": -25,
            "培训学时": 4,
            "评价方式": "考试",
            "评价结果": "合格",
        },
        days_ago=25,
        subject=CURRENT_EMPLOYEE,
    ),
    DemoRecord(
        "training_left",
        TRAINING,
        "controller",
        {
            "员工姓名": LEFT_EMPLOYEE,
            "所属部门": "技术部",
            "培训课程": "网络设备巡检操作",
            "培训日期": "2025-03-14",
            "培训学时": 2,
            "评价方式": "实操",
            "评价结果": "合格",
        },
        on=date(2025, 3, 14),
        subject=LEFT_EMPLOYEE,
    ),
    # Old records, past their three years: the disposal queue.
    DemoRecord(
        "old_incident_1",
        INCIDENT,
        "staff",
        {
            "报告人": "市场部",
            "受影响的服务": "办公网络",
            "事件描述": "二楼无线网络频繁掉线。",
            "优先级": "中",
            "发生时间": "2020-04-16",
            "处理结果": "调整无线接入点信道后恢复。",
        },
        on=date(2020, 4, 16),
    ),
    DemoRecord(
        "old_incident_2",
        INCIDENT,
        "staff",
        {
            "报告人": "客户服务热线",
            "受影响的服务": "客户服务门户",
            "事件描述": "服务门户首页无法打开。",
            "优先级": "高",
            "发生时间": "2020-09-03",
            "处理结果": "域名解析记录被误删，恢复后正常。",
        },
        on=date(2020, 9, 3),
    ),
    DemoRecord(
        "old_incident_3",
        INCIDENT,
        "staff",
        {
            "报告人": "技术部",
            "受影响的服务": "文件服务器",
            "事件描述": "文件服务器磁盘空间不足，无法保存新文件。",
            "优先级": "中",
            "发生时间": "2021-06-21",
            "处理结果": "清理过期备份并扩容磁盘。",
        },
        on=date(2021, 6, 21),
    ),
    DemoRecord(
        "old_change",
        CHANGE,
        "tech_manager",
        {
            "申请人": "技术部 张伟",
            "变更类别": "重大",
            "变更内容": "机房核心交换机更换为双机热备。",
            "计划实施日期": "2021-02-27",
            "回退方案": "保留旧交换机在机柜中，故障时切回。",
        },
        on=date(2021, 2, 8),
    ),
    DemoRecord(
        "old_report",
        SERVICE_REPORT,
        "market_manager",
        {
            "报告周期": "2020年10月",
            "客户名称": "示例物流有限公司",
            "服务级别达成情况": "全部指标达成，事件按时解决率98%。",
        },
        on=date(2020, 11, 5),
    ),
)

# The correction shown on a record page: the old value struck through.
CORRECTION = (
    "certificate",
    "优先级",
    "高",
    "证书到期将中断全部客户的邮件，按事件分级标准应为高。",
)
# The two oldest incidents are in a disposal request the department head has
# not approved yet; the others wait in the queue.
DISPOSAL = ("old_incident_1", "old_incident_2")
DISPOSAL_REASON = "保存期满的事件记录，经核对无未结事项。"


@dataclass
class RecordsDemoReport:
    """What one run of :func:`demo_records_ensure` did."""

    records_created: list[str] = field(default_factory=list)
    corrections_created: int = 0
    events_entered: list[str] = field(default_factory=list)
    disposal_requests_created: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.records_created
            or self.corrections_created
            or self.events_entered
            or self.disposal_requests_created
        )


def _values(values: dict[str, Any], today: date) -> dict[str, Any]:
    """Negative integers in date fields count days back from today."""
    result = {}
    for label, value in values.items():
        if label.endswith(("日期", "时间")) and isinstance(value, int):
            value = (today + timedelta(days=value)).isoformat()
        result[label] = value
    return result


def _fillable(form: DocumentPage | None) -> bool:
    return (
        form is not None
        and form.status == DocumentStatus.CONTROLLED
        and form.issues.effective().exists()
    )


@transaction.atomic
def demo_records_ensure() -> RecordsDemoReport:
    """File the demo records once; a second run finds them and does nothing."""
    report = RecordsDemoReport()
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=USERNAMES, is_active=True)
    }
    if len(users) != len(USERNAMES):
        return report
    forms = {
        page.number: page.specific
        for page in DocumentPage.objects.filter(number__in=DEMO_FORMS)
    }
    if not all(_fillable(forms.get(number)) for number in DEMO_FORMS):
        return report
    if Record.objects.filter(form__number__in=DEMO_FORMS).exists():
        return report

    controller = users["controller"]
    today = services.company_today()

    # Training records are personal: confidential, kept by 行政部.
    training_type = services.record_type_ensure(form=forms[TRAINING])
    services.record_type_update(
        user=controller,
        record_type=training_type,
        retention_class=training_type.retention_class,
        custodian=Department.objects.filter(name="行政部").first(),
        confidential=True,
        storage_location=training_type.storage_location,
    )

    created: dict[str, Record] = {}
    for spec in RECORDS:
        record = services.record_create(
            user=users[spec.user],
            form=forms[spec.form],
            data=_values(spec.values, today),
            record_date=spec.record_date(today),
            related_to=created[spec.related_to] if spec.related_to else None,
            retention_subject=spec.subject,
        )
        created[spec.key] = record
        report.records_created.append(record.number)

    key, label, value, reason = CORRECTION
    services.record_correct(
        user=users["tech_manager"],
        record=created[key],
        field=_field_name(created[key], label),
        value=value,
        reason=reason,
    )
    report.corrections_created += 1

    # The employee left: their training record is now kept until a year later.
    services.retention_event_record(
        user=controller,
        event=retention.RetentionEvent.EMPLOYEE_EXIT,
        subject=LEFT_EMPLOYEE,
        occurred_on=today - timedelta(days=LEFT_DAYS_AGO),
        note="劳动合同到期不再续签。",
    )
    report.events_entered.append(LEFT_EMPLOYEE)
    # The employee still working may read his own training record.
    services.record_access_grant(
        user=controller, record=created["training_current"], grantee=users["staff"]
    )

    request = services.disposal_request_create(
        user=users["staff"],
        records=[created[key] for key in DISPOSAL],
        method=DisposalMethod.RECYCLE,
        reason=DISPOSAL_REASON,
    )
    report.disposal_requests_created.append(request.reference)
    return report


def _field_name(record: Record, label: str) -> str:
    for spec in record.schema:
        if spec["label"] == label:
            return spec["name"]
    return label
