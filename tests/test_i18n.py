"""Languages: English msgids with a complete Chinese catalog, no bare Chinese in templates, and
the language chosen on the login page or saved on the account page."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from frontdesk.extensions import db
from tests import factories
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "frontdesk" / "templates"
ZH_CATALOG = ROOT / "frontdesk" / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"

#: what `make extract-messages` looks for: pybabel's default keywords (_, gettext, ngettext,
#: pgettext ...) and the lazy forms used at import time
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

#: Chinese that may stay in template source, per template, and why.
ALLOWED_CHINESE = {
    # The language switch names each language in that language (an endonym), so that a reader
    # of either language can find their own whatever the page is currently shown in.
    "auth/login.html": ["简体中文"],
}


def _extracted_messages() -> dict[tuple[str | None, str], list[str]]:
    """Return {(context, msgid): [where ...]} of the sources, extracted as babel.cfg says."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    found: dict[tuple[str | None, str], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault((context, msgid), []).append(f"{filename}:{lineno}")
    return found


def test_sources_use_english_msgids_translated_in_the_chinese_catalog():
    with open(ZH_CATALOG, "rb") as f:
        catalog = read_po(f, locale="zh_CN")
    messages = _extracted_messages()
    assert len(messages) > 100, "extraction found suspiciously few messages"

    untranslated = []
    for (context, msgid), where in sorted(messages.items(), key=lambda kv: kv[0][1]):
        entry = catalog.get(msgid, context=context)
        strings = entry.string if entry is not None else None
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(strings):
            untranslated.append(f"{msgid!r} ({', '.join(where)})")
    assert not untranslated, (
        "msgids without a Chinese translation in frontdesk/translations/zh_CN "
        "(run `make extract-messages` and translate them):\n" + "\n".join(untranslated)
    )

    chinese_msgids = sorted(msgid for _ctx, msgid in messages if not _is_english(msgid))
    assert not chinese_msgids, "msgids should be English:\n" + "\n".join(chinese_msgids)


def _is_english(msgid: str) -> bool:
    """Tell whether a msgid is English; it may quote Chinese (plates, stored values)."""
    return not CJK.search(msgid) or bool(re.search(r"[A-Za-z]{3,}", CJK.sub("", msgid)))


_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", re.S)
#: the string literals given to a gettext call: _('...'), ngettext('...', "...", n), pgettext(...)
_GETTEXT_STRINGS = re.compile(
    r"""\b(?:_|gettext|ngettext|pgettext|npgettext)\(\s*"""
    r"""(?:(?:'[^'\\]*(?:\\.[^'\\]*)*'|"[^"\\]*(?:\\.[^"\\]*)*")\s*,?\s*)+"""
)


def test_templates_hold_chinese_only_inside_gettext_calls():
    offending = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        rel = path.relative_to(TEMPLATES).as_posix()
        source = path.read_text(encoding="utf-8")
        # blank out what may hold Chinese, keeping the line breaks so line numbers stay right
        for pattern in (_JINJA_COMMENT, _TRANS_BLOCK, _GETTEXT_STRINGS):
            source = pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)
        for allowed in ALLOWED_CHINESE.get(rel, []):
            source = source.replace(allowed, " " * len(allowed))
        for lineno, line in enumerate(source.splitlines(), 1):
            if CJK.search(line):
                offending.append(f"{rel}:{lineno}: {line.strip()}")
    assert not offending, "Chinese outside gettext calls in templates:\n" + "\n".join(offending)


def test_template_check_sees_bare_chinese_but_not_gettext_calls():
    sample = "<p>{{ _('Hello') }} 你好 {# 注释 #} {{ _(\"你好\", n=1) }}</p>"
    for pattern in (_JINJA_COMMENT, _TRANS_BLOCK, _GETTEXT_STRINGS):
        sample = pattern.sub("", sample)
    assert CJK.findall(sample) == ["你", "好"]


def test_login_page_is_chinese_by_default(client):
    page = client.get("/login").text
    assert '<html lang="zh-CN">' in page
    assert "登录" in page
    assert "用户名" in page and "密码" in page
    assert "Log in" not in page


def test_login_page_in_english_when_asked(client):
    page = client.get("/login?lang=en").text
    assert '<html lang="en">' in page
    assert "Log in" in page and "Username" in page and "Password" in page
    assert "登录" not in page
    # the choice is kept for the next pages of the session, until changed back
    assert "Username" in client.get("/login").text
    assert "登录" in client.get("/login?lang=zh_CN").text


def test_login_errors_follow_the_chosen_language(client, world):
    client.get("/login?lang=en")
    response = login(client, "frontdesk", "wrong-password")
    assert "Incorrect username or password." in response.text


def _save_language(client, locale: str):
    return client.post("/account", data={"lang-locale": locale, "lang-submit": "1"})


def test_saved_language_is_used_on_every_page_after_it(desk, world):
    page = desk.get("/account").text
    assert "我的账户" in page and "界面语言" in page

    response = _save_language(desk, "en")
    assert response.status_code == 302
    db.session.refresh(world.users["frontdesk"])
    assert world.users["frontdesk"].locale == "en"

    page = desk.get("/account").text
    assert '<html lang="en">' in page
    assert "Language saved." in page  # the confirmation is already in the new language
    assert "My account" in page and "Interface language" in page
    assert "我的账户" not in page
    desk_page = desk.get("/desk").text
    assert "Desk" in desk_page and "Property register" in desk_page and "Log out" in desk_page
    assert "业务受理" not in desk_page
    unit_page = desk.get(f"/desk/units/{world.unit.id}").text
    assert "Residents" in unit_page and "Primary contact" in unit_page and "Owner" in unit_page
    assert "主要联系人" not in unit_page

    assert _save_language(desk, "zh_CN").status_code == 302
    page = desk.get("/account").text
    assert '<html lang="zh-CN">' in page
    assert "语言已保存。" in page
    assert "我的账户" in page and "界面语言" in page
    assert "My account" not in page
    assert "业务受理" in desk.get("/desk").text


def test_saved_language_outlives_the_session(desk, app, world):
    _save_language(desk, "en")
    desk.post("/logout")
    other = app.test_client()
    assert login(other, "frontdesk").status_code == 302
    assert "My account" in other.get("/account").text


def test_list_separator_and_brackets_follow_the_language(as_role, world):
    factories.grant(world.users["manager"], "finance", world.estate)
    db.session.commit()
    manager = as_role("manager")
    page = manager.get("/account").text
    assert re.search(r"manager测试（(客服主管、财务|财务、客服主管)）", page)
    _save_language(manager, "en")
    page = manager.get("/account").text
    assert re.search(r"manager测试 \((Service manager, Finance|Finance, Service manager)\)", page)
    assert "（" not in page and "、" not in page


def test_form_errors_are_translated(desk):
    _save_language(desk, "en")
    response = desk.post("/account", data={"pw-current_password": "", "pw-new_password": "",
                                           "pw-confirm": "", "pw-submit": "1"})
    assert "Please enter your current password." in response.text
    _save_language(desk, "zh_CN")
    response = desk.post("/account", data={"pw-current_password": "", "pw-new_password": "",
                                           "pw-confirm": "", "pw-submit": "1"})
    assert "请输入当前密码。" in response.text
