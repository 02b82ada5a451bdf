"""Builds the return corpus in tests/corpus/files/ and its expectations in tests/corpus/expected.json.

Run `python tests/corpus/make_corpus.py` after changing it; the files it writes are committed, so the tests read
real files. Each builder writes one file the way officials' tools write them (openpyxl for .xlsx, xlwt for .xls,
plain bytes for CSV and for the hostile files) and returns what a careful reader must make of it: the observations
(indicator, region, period, value in the indicator's unit) or the issues (severity, code, sheet, cell).
The figures are invented for testing and are not statistics.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment

HERE = Path(__file__).parent
FILES = HERE / "files"
MFG, FARM, HWY, TRUNK = (
    "manufacturing_pass_rate",
    "farm_product_monitoring_pass_rate",
    "expressway_spot_check_pass_rate",
    "trunk_road_spot_check_pass_rate",
)
Expected = dict[str, object]
BUILDERS: list[Callable[[], Expected]] = []


def builder(func: Callable[[], Expected]) -> Callable[[], Expected]:
    BUILDERS.append(func)
    return func


def accepted(
    *observations: tuple[str, str, str, float], warnings: list[tuple[str, str | None, str | None]] = ()
) -> Expected:  # type: ignore[assignment]
    return {
        "status": "accepted",
        "observations": sorted([list(o) for o in observations]),
        "issues": sorted([["warning", *w] for w in warnings], key=str),
    }


def rejected(
    *errors: tuple[str, str | None, str | None], warnings: list[tuple[str, str | None, str | None]] = ()
) -> Expected:  # type: ignore[assignment]
    issues = [["error", *e] for e in errors] + [["warning", *w] for w in warnings]
    return {"status": "rejected", "issues": sorted(issues, key=str)}


def unreadable(code: str) -> Expected:
    return {"status": "unreadable", "issues": [["error", code, None, None]]}


def save(workbook: Workbook, name: str) -> None:
    workbook.save(FILES / name)


def sheet_rows(workbook: Workbook, title: str, rows: list[list[object]]):
    sheet = (
        workbook.active
        if workbook.active.title == "Sheet" and workbook.active.max_row == 1
        else workbook.create_sheet()
    )
    sheet.title = title
    for row in rows:
        sheet.append(row)
    return sheet


# ---- clean and messy returns -----------------------------------------------------------------------------------


@builder
def long_clean() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "数据",
        [
            ["指标名称", "地区", "统计期", "数值", "计量单位"],
            ["制造业产品质量合格率", "甘肃省", 2023, 93.12, "%"],
            ["制造业产品质量合格率", "甘肃省", 2024, 93.4, "%"],
            ["主要农产品例行监测合格率", "兰州市", 2024, 97.9, "%"],
        ],
    )
    save(wb, "long_clean.xlsx")
    return accepted(
        (MFG, "620000", "2023", 93.12), (MFG, "620000", "2024", 93.4), (FARM, "620100", "2024", 97.9)
    )


@builder
def long_english_reordered() -> Expected:
    (FILES / "long_english_reordered.csv").write_text(
        "Value,Unit,Period,Region,Indicator\n"
        "93.65,%,2023,100000,Manufacturing product quality pass rate\n"
        "85.6,,2024,China (national),Manufacturing quality competitiveness index\n",
        encoding="utf-8",
    )
    return accepted(
        (MFG, "100000", "2023", 93.65),
        ("manufacturing_quality_competitiveness_index", "100000", "2024", 85.6),
    )


@builder
def long_gbk() -> Expected:
    (FILES / "long_gbk.csv").write_bytes(
        "指标,地区,年份,本期,计量单位\n干线公路抽检指标总体合格率,甘肃,2024年,97.2,%\n高速(含一级)公路抽检指标总体合格率,甘肃,2024年,98.1,％\n".encode(
            "gbk"
        )
    )
    return accepted((TRUNK, "620000", "2024", 97.2), (HWY, "620000", "2024", 98.1))


@builder
def long_utf8_bom() -> Expected:
    (FILES / "long_utf8_bom.csv").write_bytes(
        "\ufeff指标名称,地区,时间,数值\n市级智能工厂数量,上海市,2024,150\n标杆性智能工厂数量,上海市,2024,12\n".encode()
    )
    return accepted(
        ("municipal_smart_factories", "310000", "2024", 150),
        ("benchmark_smart_factories", "310000", "2024", 12),
    )


@builder
def long_title_notes() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "表1",
        [
            ["2024年甘肃省质量指标统计表"],
            [],
            [None, "填报单位：甘肃省市场监督管理局", None, None, "计量单位：%"],
            [None, "指标名称", "地区", "统计期", "数值"],
            [None, "制造业产品质量合格率", "甘肃", 2024, 93.4],
            [],
            [None, "主要农产品例行监测合格率", "甘肃", 2024, 97.6],
            [None, "注：本表数据为初步统计。"],
            [None, "填表人：张三", None, "审核人：李四", "报出日期：2025-01-15"],
        ],
    )
    ws.merge_cells("A1:E1")
    ws["A1"].alignment = Alignment(horizontal="center")
    save(wb, "long_title_notes.xlsx")
    return accepted((MFG, "620000", "2024", 93.4), (FARM, "620000", "2024", 97.6))


@builder
def long_percent_format() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "合格率",
        [
            ["指标", "地区", "年份", "数值"],
            ["制造业产品质量合格率", "甘肃省", 2023, 0.9312],
            ["主要农产品例行监测合格率", "甘肃省", 2023, 0.978],
        ],
    )
    ws["D2"].number_format = "0.00%"
    ws["D3"].number_format = "0.0%"
    save(wb, "long_percent_format.xlsx")
    return accepted((MFG, "620000", "2023", 93.12), (FARM, "620000", "2023", 97.8))


@builder
def long_text_values() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [
            ["指标名称", "地区", "统计期", "数值", "单位"],
            ["制造业产品质量合格率", "甘肃", "2024", "93.4%", None],
            ["主要农产品例行监测合格率", "甘肃", "2024", "97.8％", None],
            ["专精特新企业数量", "上海", "2024", "1,234", "家"],
            ["智能制造优秀场景数量", "上海", "2024", "６５０", "个"],
        ],
    )
    save(wb, "long_text_values.xlsx")
    return accepted(
        (MFG, "620000", "2024", 93.4),
        (FARM, "620000", "2024", 97.8),
        ("specialised_sme_count", "310000", "2024", 1234),
        ("smart_manufacturing_scenarios", "310000", "2024", 650),
    )


@builder
def long_missing_markers() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [
            ["指标名称", "地区", "统计期", "数值"],
            ["制造业产品质量合格率", "兰州市", 2024, 93.0],
            ["制造业产品质量合格率", "嘉峪关市", 2024, "—"],
            ["制造业产品质量合格率", "金昌市", 2024, "-"],
            ["制造业产品质量合格率", "白银市", 2024, "/"],
            ["制造业产品质量合格率", "天水市", 2024, None],
        ],
    )
    save(wb, "long_missing_markers.xlsx")
    return accepted(
        (MFG, "620100", "2024", 93.0),
        warnings=[("missing_value", "Sheet1", f"D{r}") for r in (3, 4, 5, 6)],
    )


@builder
def long_periods_variety() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [
            ["指标名称", "地区", "统计期", "数值"],
            ["主要农产品例行监测合格率", "全国", "2023年", 97.8],
            ["主要农产品例行监测合格率", "全国", "2024年第一季度", 97.1],
            ["主要农产品例行监测合格率", "全国", "2024年二季度", 97.3],
            ["主要农产品例行监测合格率", "全国", "2024Q3", 97.4],
            ["主要农产品例行监测合格率", "全国", "2025年5月", 97.5],
            ["主要农产品例行监测合格率", "全国", "2025-06", 97.6],
        ],
    )
    save(wb, "long_periods_variety.xlsx")
    return accepted(
        (FARM, "100000", "2023", 97.8),
        (FARM, "100000", "2024Q1", 97.1),
        (FARM, "100000", "2024Q2", 97.3),
        (FARM, "100000", "2024Q3", 97.4),
        (FARM, "100000", "2025-05", 97.5),
        (FARM, "100000", "2025-06", 97.6),
    )


@builder
def long_region_forms() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [
            ["地区：甘肃省"],
            ["指标名称", "地区", "统计期", "数值"],
            ["制造业产品质量合格率", "临夏州", 2024, 92.1],
            ["制造业产品质量合格率", "甘南藏族自治州", 2024, 92.4],
            ["制造业产品质量合格率", 620100, 2024, 93.9],
            ["制造业产品质量合格率", "酒 泉", 2024, 93.2],
            ["制造业产品质量合格率", "全省", 2024, 93.4],
        ],
    )
    save(wb, "long_region_forms.xlsx")
    return accepted(
        (MFG, "622900", "2024", 92.1),
        (MFG, "623000", "2024", 92.4),
        (MFG, "620100", "2024", 93.9),
        (MFG, "620900", "2024", 93.2),
        (MFG, "620000", "2024", 93.4),
    )


@builder
def wide_regions_by_year() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "市州",
        [
            ["2022-2024年各市州制造业产品质量合格率（%）"],
            ["地区", "2022年", "2023年", "2024年"],
            ["兰州市", 93.1, 93.5, 93.8],
            ["天水市", 92.2, 92.6, None],
            ["合计", 92.9, 93.2, 93.5],
            ["资料来源：甘肃省市场监督管理局"],
        ],
    )
    ws.merge_cells("A1:D1")
    save(wb, "wide_regions_by_year.xlsx")
    return accepted(
        (MFG, "620100", "2022", 93.1),
        (MFG, "620100", "2023", 93.5),
        (MFG, "620100", "2024", 93.8),
        (MFG, "620500", "2022", 92.2),
        (MFG, "620500", "2023", 92.6),
        (MFG, "620000", "2022", 92.9),
        (MFG, "620000", "2023", 93.2),
        (MFG, "620000", "2024", 93.5),
        warnings=[("missing_value", "市州", "D4")],
    )


@builder
def wide_indicators_by_year() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "指标",
        [
            ["全国质量指标", None, None, None],
            ["地区：全国", None, None, None],
            ["指标", "计量单位", "2023年", "2024年"],
            ["制造业产品质量合格率", "%", 93.65, 93.93],
            ["制造业质量竞争力指数", None, 85.21, 85.6],
            ["拖拉机平均故障间隔时间", "小时", None, 210],
        ],
    )
    save(wb, "wide_indicators_by_year.xlsx")
    return accepted(
        (MFG, "100000", "2023", 93.65),
        (MFG, "100000", "2024", 93.93),
        ("manufacturing_quality_competitiveness_index", "100000", "2023", 85.21),
        ("manufacturing_quality_competitiveness_index", "100000", "2024", 85.6),
        ("tractor_mtbf", "100000", "2024", 210),
        warnings=[("missing_value", "指标", "C6")],
    )


@builder
def wide_indicators_across() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [
            ["时间：2024年", None, None],
            ["地区", "制造业产品质量合格率(%)", "主要农产品例行监测合格率（%）"],
            ["兰州市", 93.8, 98.1],
            ["白银市", 92.7, 97.7],
        ],
    )
    save(wb, "wide_indicators_across.xlsx")
    return accepted(
        (MFG, "620100", "2024", 93.8),
        (FARM, "620100", "2024", 98.1),
        (MFG, "620400", "2024", 92.7),
        (FARM, "620400", "2024", 97.7),
    )


@builder
def multirow_header() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "公路",
        [
            ["2023—2024年甘肃省公路抽检情况"],
            ["地区", "高速(含一级)公路抽检指标总体合格率(%)", None, "干线公路抽检指标总体合格率(%)", None],
            [None, "2023年", "2024年", "2023年", "2024年"],
            ["甲", 1, 2, 3, 4],
            ["甘肃省", 97.6, 98.2, 97.1, 97.7],
            ["平凉市", 97.0, 97.9, 96.5, 97.0],
        ],
    )
    ws.merge_cells("A1:E1")
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:C2")
    ws.merge_cells("D2:E2")
    save(wb, "multirow_header.xlsx")
    return accepted(
        (HWY, "620000", "2023", 97.6),
        (HWY, "620000", "2024", 98.2),
        (TRUNK, "620000", "2023", 97.1),
        (TRUNK, "620000", "2024", 97.7),
        (HWY, "620800", "2023", 97.0),
        (HWY, "620800", "2024", 97.9),
        (TRUNK, "620800", "2023", 96.5),
        (TRUNK, "620800", "2024", 97.0),
    )


@builder
def form_zonghe() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "综合表",
        [
            ["县(市)质量发展基本情况"],
            ["综合机关名称：620100兰州市", None, "2024年", "表    号：Z301表"],
            [None, None, None, "制表机关：甘肃省市场监督管理局"],
            [None, None, None, "有效期至：2026年6月"],
            ["指 标 名 称", "计量单位", "代  码", "本年实际"],
            ["甲", "乙", "丙", 1],
            ["一、产品质量", "—", "—", None],
            ["　　制造业产品质量合格率", "%", 1, 93.8],
            ["　　其中：主要农产品例行监测合格率", "%", 2, 98.0],
            ["二、基本情况", "—", "—", None],
            ["　　行政区域面积", "平方公里", 3, 13192],
            ["单位负责人：", "统计负责人：", "填表人：", "报出日期：2025-01-15"],
        ],
    )
    ws.merge_cells("A1:D1")
    save(wb, "form_zonghe.xlsx")
    return accepted(
        (MFG, "620100", "2024", 93.8),
        (FARM, "620100", "2024", 98.0),
        warnings=[("untracked_indicator", "综合表", "A11")],
    )


@builder
def published_table() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "表3",
        [
            ["表3 2024年各市州制造业产品质量合格率抽查情况"],
            [
                "序号",
                "抽样区域",
                "各区域抽查批次数",
                "合 格批次数",
                "不合格批次数",
                "合格率(%)",
                "不合格率(%)",
            ],
            [1, "兰州市", 127, 117, 10, 92.13, 7.87],
            [2, "武威市", 98, 92, 6, 93.88, 6.12],
            ["合计", None, 225, 209, 16, 92.89, 7.11],
        ],
    )
    ws.merge_cells("A1:G1")
    ws.merge_cells("A5:B5")
    save(wb, "published_table.xlsx")
    return accepted(
        (MFG, "620100", "2024", 92.13),
        (MFG, "620600", "2024", 93.88),
        (MFG, "620000", "2024", 92.89),
        warnings=[("context_columns_skipped", "表3", "C2")],
    )


@builder
def yearbook_bilingual() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "年鉴",
        [
            ["主要农产品例行监测合格率"],
            ["Routine monitoring pass rate of main agricultural products"],
            ["单位:%"],
            ["地 区", "2023", "2024"],
            ["Region", None, None],
            ["兰 州", 97.8, 98.1],
            ["续表"],
            ["地 区", "2023", "2024"],
            ["张 掖", 97.5, 97.9],
        ],
    )
    save(wb, "yearbook_bilingual.xlsx")
    return accepted(
        (FARM, "620100", "2023", 97.8),
        (FARM, "620100", "2024", 98.1),
        (FARM, "620700", "2023", 97.5),
        (FARM, "620700", "2024", 97.9),
    )


@builder
def nbs_export() -> Expected:
    text = (
        "数据库：分省年度数据\n指标：制造业产品质量合格率(%)\n时间：最近3年\n地区,2024年,2023年,2022年\n"
        "北京市,95.1,94.8,94.6\n甘肃省,93.4,93.1,\n上海市,96.2,96.0,95.7\n"
        "注：1.本表数据为示例。\n数据来源：国家统计局\n"
    )
    (FILES / "nbs_export.csv").write_bytes(text.encode("gbk"))
    return accepted(
        (MFG, "110000", "2024", 95.1),
        (MFG, "110000", "2023", 94.8),
        (MFG, "110000", "2022", 94.6),
        (MFG, "620000", "2024", 93.4),
        (MFG, "620000", "2023", 93.1),
        (MFG, "310000", "2024", 96.2),
        (MFG, "310000", "2023", 96.0),
        (MFG, "310000", "2022", 95.7),
        warnings=[("missing_value", None, "D6")],
    )


@builder
def multi_sheet() -> Expected:
    wb = Workbook()
    sheet_rows(wb, "填表说明", [["填表说明"], ["1. 每个指标一张表。"], ["2. 统计期填写年份，如 2024。"]])
    sheet_rows(
        wb, "制造业", [["指标：制造业产品质量合格率"], ["地区", "年份", "数值"], ["甘肃省", 2024, 93.4]]
    )
    sheet_rows(
        wb, "农产品", [["指标：主要农产品例行监测合格率"], ["地区", "年份", "数值"], ["甘肃省", 2024, 97.7]]
    )
    save(wb, "multi_sheet.xlsx")
    return accepted((MFG, "620000", "2024", 93.4), (FARM, "620000", "2024", 97.7))


@builder
def xls_legacy() -> Expected:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("2024")
    sheet.write_merge(0, 0, 0, 2, "2024年甘肃省干线公路抽检指标总体合格率")
    sheet.write(1, 0, "地区")
    sheet.write(1, 1, "数值")
    percent = xlwt.easyxf(num_format_str="0.0%")
    sheet.write(2, 0, "甘肃省")
    sheet.write(2, 1, 0.976, percent)
    sheet.write(3, 0, "定西市")
    sheet.write(3, 1, 0.969, percent)
    book.save(str(FILES / "xls_legacy.xls"))
    return accepted((TRUNK, "620000", "2024", 97.6), (TRUNK, "621100", "2024", 96.9))


@builder
def xlsm_macro() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [["指标名称", "地区", "统计期", "数值"], ["知识产权信息服务网点数量", "上海市", 2024, 31]],
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    # Re-pack as a macro-enabled workbook: the content type says so and a VBA part is present. It is never run.
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(FILES / "xlsm_macro.xlsm", "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            out.writestr(item, data)
        out.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0not-a-real-macro")
    return accepted(("ip_information_service_points", "310000", "2024", 31))


@builder
def dates_as_periods() -> Expected:
    import datetime as dt

    wb = Workbook()
    ws = sheet_rows(wb, "月报", [["指标名称", "地区", "统计期", "数值"]])
    for month, value in ((1, 97.2), (2, 97.4)):
        ws.append(["主要农产品例行监测合格率", "全国", dt.datetime(2025, month, 1), value])
        ws.cell(ws.max_row, 3).number_format = "yyyy-mm"
    save(wb, "dates_as_periods.xlsx")
    return accepted((FARM, "100000", "2025-01", 97.2), (FARM, "100000", "2025-02", 97.4))


@builder
def stub_without_header_word() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [
            ["甘肃省主要农产品例行监测合格率（%）"],
            [None, "2023年", "2024年"],
            ["陇南市", 97.3, 97.9],
            ["金昌市", 97.9, 98.3],
        ],
    )
    save(wb, "stub_without_header_word.xlsx")
    return accepted(
        (FARM, "621200", "2023", 97.3),
        (FARM, "621200", "2024", 97.9),
        (FARM, "620300", "2023", 97.9),
        (FARM, "620300", "2024", 98.3),
    )


@builder
def counts_shanghai_districts() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "智能工厂",
        [
            ["统计期：2024年"],
            ["区", "市级智能工厂（家）", "标杆性智能工厂（家）"],
            ["浦东新区", 41, 5],
            ["嘉定区", 17, 2],
            ["全市", 150, 12],
        ],
    )
    save(wb, "counts_shanghai_districts.xlsx")
    return accepted(
        ("municipal_smart_factories", "310115", "2024", 41),
        ("benchmark_smart_factories", "310115", "2024", 5),
        ("municipal_smart_factories", "310114", "2024", 17),
        ("benchmark_smart_factories", "310114", "2024", 2),
        ("municipal_smart_factories", "310000", "2024", 150),
        ("benchmark_smart_factories", "310000", "2024", 12),
    )


@builder
def hours_in_days() -> Expected:
    (FILES / "hours_in_days.csv").write_text(
        "指标名称,地区,年份,数值,计量单位\n拖拉机平均故障间隔时间,全国,2024,10,天\n主粮作物收获机械平均故障间隔时间,全国,2024,4500,分钟\n",
        encoding="utf-8",
    )
    return accepted(("tractor_mtbf", "100000", "2024", 240), ("harvester_mtbf", "100000", "2024", 75))


@builder
def duplicate_same_value() -> Expected:
    (FILES / "duplicate_same_value.csv").write_text(
        "指标名称,地区,年份,数值\n制造业产品质量合格率,甘肃,2024,93.4\n制造业产品质量合格率,甘肃省,2024,93.4\n",
        encoding="utf-8",
    )
    return accepted((MFG, "620000", "2024", 93.4), warnings=[("duplicate_row", None, "D3")])


@builder
def flags_and_sources() -> Expected:
    (FILES / "flags_and_sources.csv").write_text(
        "指标名称,地区,年份,数值,标记,数据来源\n制造业产品质量合格率,甘肃,2025,93.6,初步,甘肃省市场监管局快报\n",
        encoding="utf-8",
    )
    return accepted((MFG, "620000", "2025", 93.6))


@builder
def warning_jump() -> Expected:
    (FILES / "warning_jump.csv").write_text(
        "指标名称,地区,年份,数值\n制造业产品质量合格率,兰州,2023,93.1\n制造业产品质量合格率,兰州,2024,73.1\n",
        encoding="utf-8",
    )
    return accepted(
        (MFG, "620100", "2023", 93.1),
        (MFG, "620100", "2024", 73.1),
        warnings=[("implausible_jump", None, "D3")],
    )


@builder
def warning_cumulative_fell() -> Expected:
    (FILES / "warning_cumulative_fell.csv").write_text(
        "指标名称,地区,年份,数值\n市级智能工厂数量,上海,2023,100\n市级智能工厂数量,上海,2024,90\n",
        encoding="utf-8",
    )
    return accepted(
        ("municipal_smart_factories", "310000", "2023", 100),
        ("municipal_smart_factories", "310000", "2024", 90),
        warnings=[("cumulative_fell", None, "D3")],
    )


# ---- broken returns: rejected, with every problem by cell ------------------------------------------------------


@builder
def bad_unknown_names() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [
            ["指标名称", "地区", "统计期", "数值"],
            ["制造业产品质量合格律", "甘肃", 2024, 93.4],
            ["制造业产品质量合格率", "兰洲市", 2024, 93.4],
        ],
    )
    save(wb, "bad_unknown_names.xlsx")
    return rejected(("unknown_indicator", "Sheet1", "A2"), ("unknown_region", "Sheet1", "B3"))


@builder
def bad_unit() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [
            ["指标名称", "地区", "统计期", "数值", "计量单位"],
            ["制造业产品质量合格率", "甘肃", 2024, 93.4, "小时"],
            ["拖拉机平均故障间隔时间", "全国", 2024, 240, "家"],
        ],
    )
    save(wb, "bad_unit.xlsx")
    return rejected(("unit_mismatch", "Sheet1", "E2"), ("unit_mismatch", "Sheet1", "E3"))


@builder
def bad_ranges() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "Sheet1",
        [
            ["指标名称", "地区", "统计期", "数值"],
            ["制造业产品质量合格率", "甘肃", 2024, 105],
            ["市级智能工厂数量", "上海", 2024, -5],
            ["主要农产品例行监测合格率", "甘肃", 2024, 1.2],
        ],
    )
    ws["D4"].number_format = "0%"  # shows 120%
    save(wb, "bad_ranges.xlsx")
    return rejected(
        ("rate_out_of_range", "Sheet1", "D2"),
        ("negative_value", "Sheet1", "D3"),
        ("rate_out_of_range", "Sheet1", "D4"),
    )


@builder
def bad_future_period() -> Expected:
    (FILES / "bad_future_period.csv").write_text(
        "指标名称,地区,年份,数值\n制造业产品质量合格率,甘肃,2027,94.0\n制造业产品质量合格率,甘肃,2024年13月,94.0\n",
        encoding="utf-8",
    )
    return rejected(("future_period", None, "C2"), ("bad_period", None, "C3"))


@builder
def bad_conflicting_duplicates() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [
            ["指标名称", "地区", "统计期", "数值"],
            ["制造业产品质量合格率", "甘肃", 2024, 93.4],
            ["制造业产品质量合格率", "620000", "2024年", 93.5],
        ],
    )
    save(wb, "bad_conflicting_duplicates.xlsx")
    return rejected(("conflicting_duplicate", "Sheet1", "D3"))


@builder
def bad_text_in_number() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [
            ["指标名称", "地区", "统计期", "数值"],
            ["制造业产品质量合格率", "甘肃", 2024, "约93"],
            ["主要农产品例行监测合格率", "甘肃", 2024, "九十八"],
        ],
    )
    save(wb, "bad_text_in_number.xlsx")
    return rejected(("not_a_number", "Sheet1", "D2"), ("not_a_number", "Sheet1", "D3"))


@builder
def bad_formula_without_value() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [
            ["指标名称", "地区", "统计期", "数值"],
            ["市级智能工厂数量", "浦东新区", 2024, 41],
            ["市级智能工厂数量", "嘉定区", 2024, 17],
            ["市级智能工厂数量", "上海市", 2024, "=SUM(D2:D3)"],
        ],
    )
    save(wb, "bad_formula_without_value.xlsx")  # openpyxl writes formulas without a cached result
    return rejected(("formula_without_value", "Sheet1", "D4"))


@builder
def bad_total_without_area() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb, "Sheet1", [["指标名称", "地区", "统计期", "数值"], ["制造业产品质量合格率", "全省", 2024, 93.4]]
    )
    save(wb, "bad_total_without_area.xlsx")
    return rejected(("unknown_region", "Sheet1", "B2"))


@builder
def bad_no_table() -> Expected:
    wb = Workbook()
    sheet_rows(wb, "Sheet1", [["关于报送2024年质量数据的通知"], ["请各市州于1月15日前报送。"]])
    save(wb, "bad_no_table.xlsx")
    return rejected(("no_table", None, None))


@builder
def bad_no_period() -> Expected:
    wb = Workbook()
    sheet_rows(wb, "Sheet1", [["地区", "制造业产品质量合格率(%)"], ["甘肃省", 93.4]])
    save(wb, "bad_no_period.xlsx")
    return rejected(("no_period", "Sheet1", "A1:B2"))  # the table whose period cannot be told


# ---- files that cannot be read at all (exit 2) -----------------------------------------------------------------


@builder
def hostile_png_renamed() -> Expected:
    (FILES / "hostile_png_renamed.xlsx").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    return unreadable("not_a_spreadsheet")


@builder
def hostile_zip_bomb() -> Expected:
    wb = Workbook()
    sheet_rows(wb, "Sheet1", [["指标名称", "地区", "统计期", "数值"]])
    buffer = io.BytesIO()
    wb.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(FILES / "hostile_zip_bomb.xlsx", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            out.writestr(item.filename, source.read(item))
        out.writestr(
            "xl/media/padding.xml", b"<a>" + b" " * (200 * 1024 * 1024) + b"</a>"
        )  # 200 MB of spaces
    return unreadable("zip_bomb")


@builder
def hostile_xml_entities() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb, "Sheet1", [["指标名称", "地区", "统计期", "数值"], ["制造业产品质量合格率", "甘肃", 2024, 93.4]]
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
            for i in range(1, 10)
        )
        + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    with zipfile.ZipFile(FILES / "hostile_xml_entities.xlsx", "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item, source.read(item))
        out.writestr("xl/sharedStrings.xml", laughs)
    return unreadable("xml_entities")


@builder
def hostile_truncated() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "Sheet1",
        [["指标名称", "地区", "统计期", "数值"]]
        + [["制造业产品质量合格率", "甘肃", 2000 + i % 20, 93.0 + i % 7] for i in range(300)],
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()
    (FILES / "hostile_truncated.xlsx").write_bytes(data[: len(data) // 2])
    return unreadable("corrupt_workbook")


@builder
def hostile_dimension_bomb() -> Expected:
    wb = Workbook()
    ws = sheet_rows(wb, "Sheet1", [["指标名称", "地区", "统计期", "数值"]])
    ws["XFD1048576"] = 1
    save(wb, "hostile_dimension_bomb.xlsx")
    return unreadable("sheet_too_large")


@builder
def hostile_binary_csv() -> Expected:
    (FILES / "hostile_binary.csv").write_bytes(bytes(range(256)) * 8)
    return unreadable("not_a_csv")


# ---- round 2: layouts as officials write them (issue #10) -------------------------------------------------------
FOOD = "food_sampling_pass_rate"


@builder
def group_year_heading() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "表1",
        [
            ["全国产品质量主要指标"],
            ["地区：全国"],
            ["指标", "统计年度", None, "单位"],
            [None, "2023年", "2024年", None],
            ["制造业产品质量合格率", 93.65, 93.9, "%"],
            ["主要农产品例行监测合格率", 97.8, 97.9, "%"],
        ],
    )
    for merged in ("A1:D1", "B3:C3", "A3:A4", "D3:D4"):
        ws.merge_cells(merged)
    save(wb, "group_year_heading.xlsx")
    return accepted(
        (MFG, "100000", "2023", 93.65),
        (MFG, "100000", "2024", 93.9),
        (FARM, "100000", "2023", 97.8),
        (FARM, "100000", "2024", 97.9),
    )


@builder
def group_nianfen_numbers() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "公路",
        [
            ["地区：甘肃省", None, None, None, "计量单位：%"],
            ["项目", "年份", None, None, None],
            [None, 2022, 2023, 2024, None],
            ["高速（含一级）公路抽检指标总体合格率", 97.2, 97.6, 98.2, None],
            ["干线公路抽检指标总体合格率", 96.8, 97.1, 97.7, None],
        ],
    )
    for merged in ("B2:E2", "A2:A3"):
        ws.merge_cells(merged)
    save(wb, "group_nianfen_numbers.xlsx")
    return accepted(
        (HWY, "620000", "2022", 97.2),
        (HWY, "620000", "2023", 97.6),
        (HWY, "620000", "2024", 98.2),
        (TRUNK, "620000", "2022", 96.8),
        (TRUNK, "620000", "2023", 97.1),
        (TRUNK, "620000", "2024", 97.7),
    )


@builder
def group_time_heading_csv() -> Expected:
    text = "地区：上海市\n指标,时间,,计量单位\n,2023年,2024年,\n制造业产品质量合格率,94.1,94.6,%\n"
    (FILES / "group_time_heading.csv").write_text(text, encoding="utf-8")
    return accepted((MFG, "310000", "2023", 94.1), (MFG, "310000", "2024", 94.6))


@builder
def compose_title_measure() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "表2",
        [
            ["2024年甘肃省制造业产品质量监督抽查各市州情况"],
            ["市州", "抽查批次数", "合格批次数", "不合格批次数", "合格率(%)", "不合格率(%)"],
            ["兰州市", 320, 301, 19, 94.06, 5.94],
            ["天水市", 150, 139, 11, 92.67, 7.33],
        ],
    )
    ws.merge_cells("A1:F1")
    save(wb, "compose_title_measure.xlsx")
    return accepted(
        (MFG, "620100", "2024", 94.06),
        (MFG, "620500", "2024", 92.67),
        warnings=[("context_columns_skipped", "表2", "B2")],
    )


@builder
def compose_title_food() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "表1",
        [
            ["2024年甘肃省食品安全监督抽检各市州情况"],
            ["序号", "地区", "抽检批次", "合格率（%）"],
            [1, "酒泉市", 2100, 98.1],
            [2, "张掖市", 1800, 97.6],
        ],
    )
    ws.merge_cells("A1:D1")
    save(wb, "compose_title_food.xlsx")
    return accepted(
        (FOOD, "620900", "2024", 98.1),
        (FOOD, "620700", "2024", 97.6),
        warnings=[("context_columns_skipped", "表1", "C2")],
    )


@builder
def compose_heading_object() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "公路",
        [
            ["2024年甘肃省公路抽检指标总体合格率（%）"],
            ["地区", "高速（含一级）公路", "干线公路"],
            ["甘肃省", 98.2, 97.7],
            ["平凉市", 97.9, 97.0],
        ],
    )
    ws.merge_cells("A1:C1")
    save(wb, "compose_heading_object.xlsx")
    return accepted(
        (HWY, "620000", "2024", 98.2),
        (HWY, "620800", "2024", 97.9),
        (TRUNK, "620000", "2024", 97.7),
        (TRUNK, "620800", "2024", 97.0),
    )


@builder
def compose_group_heading() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "公路",
        [
            ["2024年甘肃省公路抽检情况"],
            ["地区", "抽检指标总体合格率(%)", None],
            [None, "高速（含一级）公路", "干线公路"],
            ["甘肃省", 98.2, 97.7],
            ["庆阳市", 97.5, 96.9],
        ],
    )
    for merged in ("A1:C1", "A2:A3", "B2:C2"):
        ws.merge_cells(merged)
    save(wb, "compose_group_heading.xlsx")
    return accepted(
        (HWY, "620000", "2024", 98.2),
        (HWY, "621000", "2024", 97.5),
        (TRUNK, "620000", "2024", 97.7),
        (TRUNK, "621000", "2024", 96.9),
    )


@builder
def context_columns_with_typo() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "表1",
        [
            ["2024年甘肃省各市州产品质量抽查情况"],
            ["市州", "抽查批次数", "制造业产品质量合各率(%)"],
            ["兰州市", 320, 94.06],
        ],
    )
    save(wb, "context_columns_with_typo.xlsx")
    return rejected(
        ("unknown_indicator", "表1", "C2"),
    )


@builder
def context_rows_of_which() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "综合表",
        [
            ["质量发展基本情况"],
            ["综合机关名称：620000甘肃省", None, "2024年"],
            ["指标名称", "计量单位", "本年实际"],
            ["制造业产品质量合格率", "%", 93.8],
            ["其中：抽查批次", "批", 1200],
            ["其中：合格批次", "批", 1126],
        ],
    )
    save(wb, "context_rows_of_which.xlsx")
    return accepted(
        (MFG, "620000", "2024", 93.8),
        warnings=[("untracked_indicator", "综合表", "A5"), ("untracked_indicator", "综合表", "A6")],
    )


@builder
def form_previous_year() -> Expected:
    wb = Workbook()
    ws = sheet_rows(
        wb,
        "综合表",
        [
            ["质量发展基本情况"],
            ["综合机关名称：620100兰州市", None, "2024年", None, "表    号：Z301表"],
            ["指 标 名 称", "计量单位", "代  码", "本年实际", "上年实际"],
            ["甲", "乙", "丙", 1, 2],
            ["制造业产品质量合格率", "%", 1, 93.8, 93.2],
            ["主要农产品例行监测合格率", "%", 2, 98.0, None],
        ],
    )
    ws.merge_cells("A1:E1")
    save(wb, "form_previous_year.xlsx")
    return accepted(
        (MFG, "620100", "2024", 93.8),
        (MFG, "620100", "2023", 93.2),
        (FARM, "620100", "2024", 98.0),
        warnings=[("missing_value", "综合表", "E6")],
    )


@builder
def form_previous_year_quarter() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "表1",
        [
            ["地区：上海市", "时间：2024年第二季度"],
            ["指标名称", "计量单位", "本期", "上年实际"],
            ["制造业产品质量合格率", "%", 94.2, 93.9],
        ],
    )
    save(wb, "form_previous_year_quarter.xlsx")
    return accepted((MFG, "310000", "2024Q2", 94.2), (MFG, "310000", "2023Q2", 93.9))


@builder
def template_partly_filled() -> Expected:
    wb = Workbook()
    rows: list[list[object]] = [["指标名称", "地区", "统计期", "数值", "计量单位"]]
    cities = ["兰州市", "嘉峪关市", "金昌市", "白银市", "天水市", "武威市", "张掖市", "平凉市"]
    for city in cities:
        for year in (2023, 2024):
            rows.append(["制造业产品质量合格率", city, year, None, "%"])
    rows[1][3], rows[2][3] = 93.1, 93.5
    sheet_rows(wb, "填报", rows)
    save(wb, "template_partly_filled.xlsx")
    return accepted(
        (MFG, "620100", "2023", 93.1),
        (MFG, "620100", "2024", 93.5),
        warnings=[("rows_left_blank", "填报", "D4")],
    )


@builder
def unsupported_text() -> Expected:
    (FILES / "notes.txt").write_text("制造业产品质量合格率,甘肃,2024,93.4\n", encoding="utf-8")
    return unreadable("unsupported_type")


@builder
def unsupported_docx() -> Expected:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    (FILES / "report.docx").write_bytes(buffer.getvalue())
    return unreadable("unsupported_type")


@builder
def unsupported_pdf() -> Expected:
    (FILES / "report.pdf").write_bytes(
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    )
    return unreadable("unsupported_type")


@builder
def template_partly_filled_csv() -> Expected:
    lines = ["指标名称,地区,统计期,数值,计量单位"]
    for city in ("兰州", "天水", "武威", "张掖", "酒泉", "庆阳"):
        lines.append(f"主要农产品例行监测合格率,{city},2024,,%")
    lines.append("主要农产品例行监测合格率,平凉,2024,97.9,%")
    (FILES / "template_partly_filled.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return accepted((FARM, "620800", "2024", 97.9), warnings=[("rows_left_blank", None, "D2")])


@builder
def form_previous_year_no_period() -> Expected:
    wb = Workbook()
    sheet_rows(
        wb,
        "表1",
        [
            ["地区：甘肃省"],
            ["指标名称", "统计期", "计量单位", "本年实际", "上年实际"],
            ["制造业产品质量合格率", "2024年", "%", 93.8, 93.1],
        ],
    )
    save(wb, "form_previous_year_no_period.xlsx")
    return accepted((MFG, "620000", "2024", 93.8), warnings=[("context_columns_skipped", "表1", "E2")])


def main() -> None:
    FILES.mkdir(exist_ok=True)
    for old in FILES.iterdir():
        old.unlink()
    expected = {}
    from make_corpus_round3 import BUILDERS as ROUND3  # the layouts of issue 18, in a module of their own

    for build in [*BUILDERS, *ROUND3]:
        before = set(FILES.iterdir())
        result = build()
        (written,) = set(FILES.iterdir()) - before
        expected[written.name] = result
    (HERE / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{len(expected)} files in {FILES}")


if __name__ == "__main__":
    main()
