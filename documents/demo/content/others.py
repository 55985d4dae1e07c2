"""The demo manual, external standard and customer agreement."""

from __future__ import annotations

from datetime import date

from .schema import (
    ADMIN,
    MANAGEMENT,
    MARKET,
    DemoDocument,
    DemoExternal,
    DemoOther,
    _a,
    _section,
)

MANUAL = DemoDocument(
    "A01",
    "信息技术服务管理手册",
    MANAGEMENT,
    "描述公司服务管理体系的范围、方针、组织职责和文件结构。",
    "".join(
        [
            _section(
                "1 手册说明",
                "本手册描述公司信息技术服务管理体系（ITSMS）的范围、方针、组织和总体要求，"
                "是体系运行的纲领性文件；各程序文件应与本手册保持一致。",
            ),
            _section(
                "2 体系范围",
                "体系覆盖公司向客户提供的IT基础设施运维、应用系统支持和服务台服务，"
                "涉及管理层、行政部、技术部和市场部。",
            ),
            _section(
                "3 服务管理方针",
                [
                    "以客户的业务需要为导向，按约定的服务级别交付服务；",
                    "用规范的流程工作，用数据说话，持续改进；",
                    "对变更和风险进行受控管理，保障服务可用和信息安全。",
                ],
            ),
            _section(
                "4 组织与职责",
                [
                    "总经理：批准方针和目标，提供资源，主持管理评审。",
                    "管理者代表：组织体系的建立、运行和内部审核，向总经理报告体系绩效。",
                    "行政部（文控）：统一管理体系文件和记录。",
                    "各部门经理：在本部门落实有关程序。",
                ],
            ),
            _section(
                "5 文件结构",
                "体系文件分为四层：第一层为本手册（A类编号），第二层为程序文件（B类），"
                "第三层为作业指导书（C类），第四层为表单（D类）。文件的编号、审批和发放"
                "按《文件控制程序》执行。",
            ),
            _section(
                "6 持续改进",
                "公司通过内部审核、管理评审、服务报告和纠正措施识别改进机会，"
                "并跟踪验证改进的效果。",
            ),
        ]
    ),
    _a(date(2024, 1, 8)),
)


EXTERNAL = DemoExternal(
    title="ISO/IEC 20000-1:2018 信息技术 服务管理 第1部分：服务管理体系要求",
    slug="iso-iec-20000-1-2018",
    issuer="国际标准化组织 ISO/IEC",
    reference="ISO/IEC 20000-1",
    edition="2018（第三版）",
    department=ADMIN,
    description="公司服务管理体系认证所依据的国际标准。",
    body=_section(
        "说明",
        "本标准是公司服务管理体系的认证依据。正版标准文本由行政部统一购买并保存，"
        "各部门需要查阅时向文控借阅；标准换版时由文控更新本登记并通知各部门。",
    ),
)


OTHER = DemoOther(
    title="IT运维服务级别协议（江南示范物流有限公司）",
    slug="sla-2025-008",
    reference="SLA-2025-008",
    counterparty="江南示范物流有限公司",
    department=MARKET,
    description="与客户约定的IT运维服务内容和服务级别。",
    body="".join(
        [
            _section(
                "服务内容",
                [
                    "服务器与网络设备运维",
                    "办公终端技术支持",
                    "服务台（工作日 8:30–18:00）",
                ],
            ),
            _section(
                "服务级别",
                [
                    "核心业务系统月可用性不低于 99.5%",
                    "P1 事件 15 分钟内响应、4 小时内恢复",
                    "P2 事件 30 分钟内响应、8 小时内恢复",
                    "每月 5 日前提交上月服务报告",
                ],
            ),
            _section(
                "协议期限", "自2025年7月1日起两年，期满前三个月双方评审是否续签。"
            ),
        ]
    ),
    publish_date=date(2025, 6, 20),
)
