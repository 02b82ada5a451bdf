"""Chinese throughout (issue #19): times, clauses, characters, sources and the audit trail as a person reads them."""

from __future__ import annotations

import datetime as dt

from qtm.formatting import audit_action, audit_detail, beijing_time, clause_text, simplified, source_text


def test_times_are_beijing_time_and_say_so():
    at = dt.datetime(2026, 12, 7, 2, 5, tzinfo=dt.UTC)
    assert beijing_time(at) == "2026-12-07 10:05（北京时间）"
    assert beijing_time(at, "en") == "2026-12-07 10:05 (Beijing time)"
    assert (
        beijing_time(dt.datetime(2026, 12, 7, 20, 0, 1), seconds=True, labelled=False)
        == "2026-12-08 04:00:01"
    )


def test_a_clause_qtm_inferred_says_so_in_words():
    assert clause_text("qtm：主要目标") == "方案未列条款号；据“主要目标”部分"
    assert clause_text("qtm：總體要求·主要目標") == "方案未列条款号；据“总体要求·主要目标”部分"
    assert clause_text("qtm：主要目标", "en").startswith("No clause number in the plan")
    assert clause_text("(七)") == "(七)"


def test_traditional_characters_read_simplified():
    assert simplified("生活性服務可及性") == "生活性服务可及性"
    assert simplified("质量强国") == "质量强国"


def test_a_source_note_reads_as_a_citation():
    stored = "D · 100 minus the non-conformity rate 2.73 · 国家市场监督管理总局，《通告》，2024-04-29 · read in a.com/b"
    assert (
        source_text(stored)
        == "国家市场监督管理总局，《通告》，2024-04-29；按公布的不合格率2.73%推算（100−2.73）"
    )
    assert source_text(stored, "en") == (
        "国家市场监督管理总局，《通告》，2024-04-29; derived: 100 minus the non-conformity rate 2.73"
    )
    assert source_text("SYNTHETIC · invented for demonstration; not an official figure") == (
        "演示用合成数据，非官方统计"
    )


def test_audit_entries_read_in_chinese():
    assert audit_action("withdraw") == "撤回批次" and audit_action("withdraw", "en") == "withdrawal"
    detail = {"file": "a.csv", "withdrawal_batch": 3, "reason": "填错", "withdrawn": 2, "restored": 1}
    assert (
        audit_detail("withdraw", detail)
        == "文件 a.csv：撤回 2 个数值，恢复 1 个（撤回记录为批次 3）；理由：填错"
    )
    assert audit_detail("login_throttled", {"limit": "10 per minute"}) == "限额：每分钟 10 次"
    assert audit_detail("login_failed", {"reason": "wrong password"}) == "原因：密码错误"
    changed = {"name": "lanzhou", "role": "admin", "regions": [], "was": {"role": "reporter", "regions": []}}
    assert audit_detail("user_set_role", changed) == "账户 lanzhou · 管理员 · 原为 上报"


def test_a_stored_source_gets_its_chinese_punctuation_back():
    stored = "R · 中国新闻网(据市场监管总局网站),《合格率提升至93.93%》,2025-01-22 (the reprint's date) · read in x.com/a"
    assert (
        source_text(stored)
        == "中国新闻网（据市场监管总局网站），《合格率提升至93.93%》，2025-01-22（转载日期）"
    )
