"""The message catalogue: every user-facing string in Chinese (default) and English."""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, dict[str, str]] = {
    "app.title": {"zh": "开化县网格化防控指挥平台", "en": "Kaihua County Grid Command"},
    "app.analyst": {"zh": "分析研判", "en": "Analyst view"},
    "app.switch_language": {"zh": "English", "en": "中文"},
    "app.as_of": {"zh": "数据截至 {day}", "en": "Data as of {day}"},
    "app.version": {"zh": "数据版本 {version}", "en": "Data version {version}"},
    "app.demo_note": {
        "zh": "乡镇、村、网格边界为合成演示数据；县界来自公开行政区划数据（约为 GCJ-02 坐标）。",
        "en": "Township, village and grid boundaries are synthetic demo data; the county outline "
              "is from a public administrative boundary set (approx. GCJ-02 coordinates).",
    },
    "app.not_found": {"zh": "页面不存在：{path}", "en": "No such page: {path}"},
    "app.back_home": {"zh": "返回分析视图", "en": "Back to the analyst view"},
    # filters
    "filter.title": {"zh": "筛选", "en": "Filters"},
    "filter.level": {"zh": "乡镇管控等级", "en": "Township control level"},
    "filter.township": {"zh": "乡镇", "en": "Township"},
    "filter.township_all": {"zh": "全部乡镇", "en": "All townships"},
    "filter.colour": {"zh": "风险颜色", "en": "Risk colour"},
    "filter.date": {"zh": "日期", "en": "Date"},
    "filter.prev_day": {"zh": "前一天", "en": "Previous day"},
    "filter.next_day": {"zh": "后一天", "en": "Next day"},
    "filter.latest": {"zh": "最新", "en": "Latest"},
    "filter.reset": {"zh": "重置筛选", "en": "Reset filters"},
    "filter.none_means_all": {"zh": "不选即全部", "en": "None selected means all"},
    "filter.summary_all": {"zh": "全县", "en": "Whole county"},
    "problem.intro": {"zh": "链接中有无法识别的筛选条件，已忽略：",
                      "en": "Some filter values in the link were not understood and were ignored:"},
    "problem.level": {"zh": "管控等级“{value}”不存在（可选 1、2、3）",
                      "en": "control level “{value}” does not exist (use 1, 2 or 3)"},
    "problem.township": {"zh": "乡镇代码“{value}”不存在", "en": "no township has the code “{value}”"},
    "problem.colour": {"zh": "颜色“{value}”不存在（可选 red、orange、yellow、blue、green）",
                       "en": "colour “{value}” does not exist (use red, orange, yellow, blue, "
                             "green)"},
    "problem.date_format": {"zh": "日期“{value}”格式错误（应为 YYYY-MM-DD）",
                            "en": "date “{value}” is not in the form YYYY-MM-DD"},
    "problem.date_range": {"zh": "日期“{value}”超出数据范围（{first} 至 {last}），已显示最新一天",
                           "en": "date “{value}” is outside the data ({first} to {last}); "
                                 "showing the latest day"},
    "problem.lang": {"zh": "语言“{value}”不支持（可选 zh、en）",
                     "en": "language “{value}” is not available (use zh or en)"},
    # colours and levels
    "colour.red": {"zh": "红", "en": "Red"},
    "colour.orange": {"zh": "橙", "en": "Orange"},
    "colour.yellow": {"zh": "黄", "en": "Yellow"},
    "colour.blue": {"zh": "蓝", "en": "Blue"},
    "colour.green": {"zh": "绿", "en": "Green"},
    "colour.none": {"zh": "未标记", "en": "Unmarked"},
    "level.1": {"zh": "一级管控", "en": "Level 1"},
    "level.2": {"zh": "二级管控", "en": "Level 2"},
    "level.3": {"zh": "三级管控", "en": "Level 3"},
    "level.short": {"zh": "{level}级", "en": "L{level}"},
    # map
    "map.layer.neighbours": {"zh": "周边县（市）", "en": "Neighbouring counties"},
    "map.layer.county": {"zh": "县界", "en": "County boundary"},
    "map.layer.townships": {"zh": "乡镇界（按管控等级）", "en": "Townships (by control level)"},
    "map.layer.grids": {"zh": "网格风险颜色", "en": "Grid risk colours"},
    "map.layer.checkpoints": {"zh": "卡口（按当日查验量）", "en": "Checkpoints (by day's throughput)"},
    "map.layer.quarantine": {"zh": "集中隔离点", "en": "Quarantine sites"},
    "map.layer.labels": {"zh": "乡镇名称", "en": "Township names"},
    "map.layer.basemap": {"zh": "底图", "en": "Basemap"},
    "map.legend.title": {"zh": "网格风险（个）", "en": "Grid risk (count)"},
    "map.legend.levels": {"zh": "乡镇管控等级", "en": "Township control level"},
    "map.legend.filtered_out": {"zh": "不在筛选范围", "en": "Outside the filter"},
    "map.legend.checkpoint": {"zh": "卡口：圆越大查验越多", "en": "Checkpoint: larger = more inspected"},
    "map.legend.quarantine": {"zh": "集中隔离点", "en": "Quarantine site"},
    "map.tooltip.since": {"zh": "自 {since} 起", "en": "since {since}"},
    "map.hint": {"zh": "点击网格查看详情；点击乡镇名称按乡镇筛选",
                 "en": "Click a grid for its detail; click a township name to filter by it"},
    # KPIs
    "kpi.grids": {"zh": "网格风险颜色", "en": "Grids by risk colour"},
    "kpi.vs_yesterday": {"zh": "较前一日", "en": "vs previous day"},
    "kpi.levels": {"zh": "乡镇管控等级", "en": "Townships by control level"},
    "kpi.tasks": {"zh": "专项任务（累计）", "en": "Special tasks (to date)"},
    "kpi.tasks_issued": {"zh": "下发", "en": "issued"},
    "kpi.tasks_completed": {"zh": "完成", "en": "completed"},
    "kpi.tasks_overdue": {"zh": "逾期", "en": "overdue"},
    "kpi.tasks_today": {"zh": "当日新下发 {n} 项", "en": "{n} issued on the day"},
    "kpi.response_rate": {"zh": "网格响应率", "en": "Grid response rate"},
    "kpi.checkpoints": {"zh": "卡口查验（当日）", "en": "Checkpoints (on the day)"},
    "kpi.vehicles": {"zh": "车辆", "en": "vehicles"},
    "kpi.people": {"zh": "人员", "en": "people"},
    "kpi.flagged": {"zh": "其中重点人员 {n} 人", "en": "{n} people flagged"},
    "kpi.leads": {"zh": "线索", "en": "Leads"},
    "kpi.open_leads": {"zh": "未办结", "en": "open"},
    "kpi.oldest": {"zh": "最久 {age}", "en": "oldest {age}"},
    "kpi.median_close": {"zh": "近7日办结中位用时 {age}", "en": "median time to close (7 days) {age}"},
    "kpi.home_isolation": {"zh": "居家隔离（人）", "en": "In home isolation (people)"},
    "kpi.selected": {"zh": "筛选范围内 {n} 个网格", "en": "{n} grids in the filter"},
    "kpi.none": {"zh": "—", "en": "—"},
    "duration.minutes": {"zh": "{n}分钟", "en": "{n} min"},
    "duration.hours": {"zh": "{h}小时{m}分", "en": "{h} h {m} min"},
    "duration.days": {"zh": "{d}天{h}小时", "en": "{d} d {h} h"},
    # charts
    "chart.tasks.title": {"zh": "各乡镇专项任务完成情况（网格任务数）",
                          "en": "Special task completion by township (grid assignments)"},
    "chart.tasks.on_time": {"zh": "按时完成", "en": "Completed on time"},
    "chart.tasks.late": {"zh": "超时完成", "en": "Completed late"},
    "chart.tasks.open": {"zh": "办理中", "en": "In progress"},
    "chart.tasks.overdue": {"zh": "已逾期", "en": "Overdue"},
    "chart.tasks.hint": {"zh": "点击柱形按乡镇筛选", "en": "Click a bar to filter by township"},
    "chart.checkpoints.title": {"zh": "卡口每日查验量", "en": "Checkpoint throughput per day"},
    "chart.checkpoints.all": {"zh": "全部卡口", "en": "All checkpoints"},
    "chart.checkpoints.vehicles": {"zh": "车辆", "en": "Vehicles"},
    "chart.checkpoints.people": {"zh": "人员", "en": "People"},
    "chart.checkpoints.qr": {"zh": "扫码登记", "en": "QR registrations"},
    "chart.checkpoints.flagged": {"zh": "重点人员", "en": "Flagged people"},
    "chart.colours.title": {"zh": "网格风险颜色构成变化", "en": "Grid risk colours over time"},
    "chart.empty": {"zh": "筛选范围内无数据", "en": "No data in the filter"},
    "chart.download": {"zh": "下载数据 CSV", "en": "Download data (CSV)"},
    # table
    "table.title": {"zh": "网格清单", "en": "Grids"},
    "table.download": {"zh": "导出 CSV", "en": "Export CSV"},
    "table.code": {"zh": "网格编码", "en": "Grid code"},
    "table.name": {"zh": "网格", "en": "Grid"},
    "table.village": {"zh": "村（社区）", "en": "Village"},
    "table.township": {"zh": "乡镇", "en": "Township"},
    "table.level": {"zh": "管控等级", "en": "Control level"},
    "table.colour": {"zh": "风险颜色", "en": "Colour"},
    "table.since": {"zh": "标记时间", "en": "Since"},
    "table.population": {"zh": "人口", "en": "Population"},
    "table.households": {"zh": "户数", "en": "Households"},
    "table.home_isolation": {"zh": "居家隔离", "en": "Home isolation"},
    "table.arrivals_total": {"zh": "涉高风险地区人员（累计）", "en": "Arrivals from high-risk areas"},
    "table.open_tasks": {"zh": "未完成任务", "en": "Open tasks"},
    "table.overdue_tasks": {"zh": "逾期任务", "en": "Overdue tasks"},
    "table.leads_total": {"zh": "线索（累计）", "en": "Leads (to date)"},
    "table.open_leads": {"zh": "未办结线索", "en": "Open leads"},
    "table.count": {"zh": "共 {n} 个网格", "en": "{n} grids"},
    # detail
    "detail.title": {"zh": "网格详情", "en": "Grid detail"},
    "detail.empty": {"zh": "点击地图上的网格查看其颜色变化、任务和线索。",
                     "en": "Click a grid on the map to see its colour history, tasks and leads."},
    "detail.close": {"zh": "关闭", "en": "Close"},
    "detail.filter_township": {"zh": "按该乡镇筛选", "en": "Filter to this township"},
    "detail.history": {"zh": "颜色变化", "en": "Colour history"},
    "detail.tasks": {"zh": "专项任务", "en": "Special tasks"},
    "detail.leads": {"zh": "线索", "en": "Leads"},
    "detail.none": {"zh": "无", "en": "None"},
    "detail.population": {"zh": "人口 {p} · {h} 户", "en": "Population {p} · {h} households"},
    "detail.task_done": {"zh": "已完成", "en": "done"},
    "detail.task_late": {"zh": "超时完成", "en": "done late"},
    "detail.task_open": {"zh": "办理中", "en": "in progress"},
    "detail.task_overdue": {"zh": "已逾期", "en": "overdue"},
    "detail.lead_open": {"zh": "未办结", "en": "open"},
    "detail.lead_closed": {"zh": "用时 {age}", "en": "closed in {age}"},
    "detail.more": {"zh": "另有 {n} 条", "en": "{n} more"},
    "source.initial-marking": {"zh": "初始标记", "en": "initial marking"},
    "source.township-review": {"zh": "乡镇研判", "en": "township review"},
    # -- wall messages --
    # -- export messages --
    # -- ingest messages --
}


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """The message ``key`` in ``lang`` with ``values`` filled in.

    An unknown key is returned as it is, so a missing message shows up on screen instead of
    failing the page; the catalogue test keeps that from shipping.
    """
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def normalise_language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def duration(minutes: float | None, lang: str) -> str:
    """A human duration: "25分钟", "3小时5分", "2天4小时"."""
    if minutes is None:
        return t("kpi.none", lang)
    total = round(minutes)
    if total < 60:
        return t("duration.minutes", lang, n=total)
    if total < 48 * 60:
        return t("duration.hours", lang, h=total // 60, m=total % 60)
    return t("duration.days", lang, d=total // 1440, h=(total % 1440) // 60)
