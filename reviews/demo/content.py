"""What the demo's management reviews say and when they happen: the
indicators, last year's inputs, minutes and decisions, this year's plan. Written
in our own words (never the customer's documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..lifecycle import (
    InputSection,
    Verdict,
)

USERNAMES = ("controller", "mr", "gm", "tech_manager", "market_manager", "staff")

# Last year's review was held this many days ago: the next one is due within
# the dashboard's warning window. This year's meeting is this many days ahead.
PREVIOUS_DAYS_AGO = 345
CURRENT_IN_DAYS = 14
# Inputs are due this many days before the meeting.
INPUTS_DUE_DAYS_BEFORE = 5

TITLE_FORMAT = "{year}年度管理评审"
# Every title the demo gives a review, whatever year it was loaded in.
TITLE_PATTERN = r"^[0-9]{4}年度管理评审$"
LOCATION = "公司三楼大会议室"
PURPOSE = (
    "评价服务管理体系在评审期内运行的适宜性、充分性和有效性，确认服务管理方针和目标"
    "是否仍然合适，决定需要的改进措施和资源。"
)
CRITERIA = (
    "ISO/IEC 20000-1:2018、服务管理手册、各程序文件以及与客户签订的服务级别协议。"
)
AGENDA = "\n".join(
    [
        "1. 以往评审决定的落实情况",
        "2. 内外部因素的变化和客户反馈",
        "3. 服务管理目标和服务绩效的达成情况",
        "4. 内审结果、不符合和纠正措施",
        "5. 文件和记录的控制情况",
        "6. 风险和机会、资源需求",
        "7. 改进建议和下一年度的工作重点",
    ]
)
MATERIALS = (
    "各部门按分工提交书面材料，经部门负责人签字后在会前交行政部；"
    "目标数据、审核结果、不符合和文件状态由行政部从系统中汇总。"
)
DISTRIBUTION = ("管理层", "行政部", "技术部", "市场部")


# --- Objectives and indicators --------------------------------------------------------


@dataclass(frozen=True)
class DemoIndicator:
    code: str
    name: str
    description: str
    target: Decimal
    sort_order: int


INDICATORS = (
    DemoIndicator(
        "first-call-resolution",
        "一线解决率",
        "服务台在首次受理时直接解决、无需转交二线的事件和请求所占的比例。",
        Decimal("70"),
        10,
    ),
    DemoIndicator(
        "change-success",
        "变更成功率",
        "按计划实施完成、没有回退也没有引发事件的变更所占的比例。",
        Decimal("95"),
        20,
    ),
)

# The values of the last twelve complete months (the last four quarters for
# satisfaction), oldest first; a note explains each miss.
VALUES: dict[str, tuple[str, ...]] = {
    "response-rate": tuple(
        "96.2 95.8 97.1 96.5 93.4 95.9 96.8 97.3 96.1 97.6 96.9 97.2".split()
    ),
    "resolution-rate": tuple(
        "98.6 98.9 98.2 97.4 96.8 98.1 98.5 98.9 99.1 98.7 99.0 99.3".split()
    ),
    "satisfaction": ("91.2", "88.6", "90.8", "92.4"),
    "first-call-resolution": tuple(
        "68.5 70.2 71.0 69.4 72.3 73.1 71.8 74.0 74.6 75.2 74.8 76.1".split()
    ),
    "change-success": tuple(
        "97.5 100 96.4 98.2 92.3 97.8 100 98.6 96.9 99.1 100 98.4".split()
    ),
}
NOTES: dict[tuple[str, int], str] = {
    ("response-rate", 4): "机房空调故障当月告警激增，值班人手不足，部分工单响应超时。",
    ("resolution-rate", 3): "两起存储故障处理时间较长，多张关联工单超过解决时限。",
    ("resolution-rate", 4): "机房空调故障期间大量事件积压，超时工单集中出现。",
    ("satisfaction", 1): "本季度两次邮件服务中断，客户评价下降。",
    ("first-call-resolution", 0): "服务台新人较多，不少请求首次受理时转给了二线。",
    ("first-call-resolution", 3): "服务台两名同事同时休假，一线人手不足。",
    ("change-success", 4): "两项网络设备变更实施后回退。",
}


# --- Last year's review ---------------------------------------------------------------

# (section, department, author, signer, content)
PREVIOUS_INPUTS = (
    (
        InputSection.PERFORMANCE,
        "技术部",
        "staff",
        "tech_manager",
        "评审期内共受理事件和服务请求约四千二百件。服务响应及时率全年平均约96%；"
        "事件按时解决率有三个月低于98%的目标，集中在夏季机房故障期间。"
        "共实施变更一百一十余项，其中三项回退。",
    ),
    (
        InputSection.ISSUES,
        "市场部",
        "market_manager",
        "market_manager",
        "新签两家政务云客户，对信息安全和数据存放地点提出了更高要求；"
        "两家老客户续签合同时，要求把重大事件的通报时限缩短到三十分钟。",
    ),
    (
        InputSection.RISKS,
        "管理层",
        "mr",
        "gm",
        "主要风险：夜间只有一人值班，发生重大事件时难以同时抢修和通报客户；"
        "监控平台容量接近上限。机会：客户提出了驻场运维服务的新需求。",
    ),
    (
        InputSection.RESOURCES,
        "行政部",
        "controller",
        "gm",
        "技术部全年离职两人、新招一人，值班排班紧张；培训计划完成约八成，"
        "两项外部培训因预算原因推迟。",
    ),
)
PREVIOUS_DISCUSSIONS = {
    InputSection.PREVIOUS_ACTIONS: (
        "这是体系运行以来的第一次年度评审，没有以往评审留下的措施。"
    ),
    InputSection.OBJECTIVES: (
        "服务响应及时率和客户满意度达到目标；事件按时解决率有三个月未达标，"
        "与会人员认为事件快要超时时没有预警是主要原因。"
    ),
    InputSection.AUDITS: "年度内审覆盖了全部条款和部门，发现的不符合都已整改。",
    InputSection.DOCUMENTS: (
        "手册第6章写的目标和统计方法与实际做法不一致，需要修订换版。"
    ),
    InputSection.RESOURCES: "夜间值班人手不足，同意增聘一名运维工程师。",
}
PREVIOUS_MEETING = {
    "mr_report": (
        "管理者代表汇报：体系全年运行平稳，文件和记录处于受控状态，内审和客户满意度"
        "调查都按计划完成；事件按时解决率没有全部达标，夜间值班和监控容量是薄弱环节。"
    ),
    "evaluation": (
        "总经理认为体系总体有效，但事件处理的时效控制偏弱：要求技术部在下次评审前"
        "建立超时预警机制，行政部尽快补充值班人员。"
    ),
    "suitability": Verdict.YES,
    "adequacy": Verdict.PARTLY,
    "effectiveness": Verdict.YES,
    "conclusion_system": (
        "体系、方针和目标仍然适宜，体系运行有效；事件按时解决率未达标的问题"
        "作为改进措施跟踪。"
    ),
    "conclusion_service": (
        "供应商服务、信息安全和运维服务质量总体满足客户要求；客户提出的三十分钟"
        "通报要求纳入重大事件处理指引。"
    ),
    "conclusion_resources": (
        "值班人员不足，决定增聘一名运维工程师；监控平台扩容列入下一年度预算。"
    ),
}
IMPROVEMENT = {
    "description": (
        "建立事件超时预警和自动升级机制，使事件按时解决率稳定在98%以上\n"
        "事件按时解决率在评审期内有三个月未达标，处理人在事件快要超时时得不到提醒。"
    ),
    "clause": "8.6.1",
    "due_in_days": 30,
    "plan": {
        "root_cause": (
            "工单系统只在事件超时以后才提示，处理人和值班经理事先看不到快要超时的事件。"
        ),
        "target": "事件按时解决率连续三个月不低于98%。",
        "actions": (
            "1. 在工单系统中为各级事件设置到期前的预警；\n"
            "2. 到期仍未处理的事件自动升级给技术部经理；\n"
            "3. 每月统计超时事件，在部门例会上分析原因。"
        ),
        "correction": "已对积压的超时工单逐一处理并向相关客户说明。",
    },
    "accept_comment": "同意，预警规则上线后先试运行一个月。",
}
RESOURCE = {
    "description": "增聘一名运维工程师，夜间改为两人值班",
    "due_after_days": 90,
    "done_after_days": 75,
    "verified_after_days": 100,
    "note": "新聘的运维工程师已到岗，完成岗前培训后加入夜间值班，夜班改为两人。",
    "verification": "查阅了排班表和培训记录，夜班已由两人值守，措施有效。",
}
REISSUE = {
    "document": "A01",
    "description": (
        "修订服务管理手册第6章，使服务管理目标及其统计方法与实际做法一致，并换版发布"
    ),
    "due_in_days": 45,
    "decision": "同意修订，由文控起草，修订稿随下次评审一并审议。",
}


# --- This year's review ---------------------------------------------------------------

# (section, department, author, signer or None: left as a draft, content)
CURRENT_ASSIGNMENTS = (
    (InputSection.ISSUES, "市场部"),
    (InputSection.PERFORMANCE, "技术部"),
    (InputSection.SUPPLIERS, "行政部"),
    (InputSection.RISKS, "管理层"),
    (InputSection.RESOURCES, "技术部"),
    (InputSection.IMPROVEMENTS, "行政部"),
)
CURRENT_INPUTS = (
    (
        InputSection.ISSUES,
        "市场部",
        "market_manager",
        "market_manager",
        "新增一家金融行业客户，合同要求每季度提交服务报告并接受客户的现场检查；"
        "一家客户因业务收缩，缩小了服务范围。",
    ),
    (
        InputSection.PERFORMANCE,
        "技术部",
        "staff",
        "tech_manager",
        "评审期内事件按时解决率有两个月低于98%；超时预警规则在工单系统试运行后，"
        "各月均已达标。一线解决率逐月上升，变更成功率除一个月外都在95%以上。",
    ),
    (
        InputSection.RISKS,
        "管理层",
        "mr",
        "gm",
        "上次评审识别的夜间值班风险已经通过增聘人员消除；新的风险是核心交换机"
        "即将到达厂商停止支持的期限，需要列入更换计划。",
    ),
    (
        InputSection.RESOURCES,
        "技术部",
        "staff",
        None,
        "监控平台存储已用到八成五，预计半年内需要扩容；建议安排两名工程师参加"
        "云平台运维培训。",
    ),
    (
        InputSection.IMPROVEMENTS,
        "行政部",
        "controller",
        None,
        "建议把客户满意度调查改为重大事件关闭后的电话回访加每季度问卷，以提高回收率。",
    ),
)
