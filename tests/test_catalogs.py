"""Every install serves Chinese and carries its schema: catalogs are compiled at start when an
install skipped `make`, and the migrations travel inside the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from frontdesk import catalogs

ROOT = Path(__file__).resolve().parent.parent

LOGIN_PAGE = """
from frontdesk import create_app
app = create_app({"SECRET_KEY": "x", "RATELIMIT_STORAGE_URI": "memory://"})
print(app.test_client().get("/login").get_data(as_text=True))
"""


def _copy_without_compiled_catalogs(target: Path) -> Path:
    """Copy the package as a fresh clone holds it: sources, no .mo files."""
    package = target / "frontdesk"
    shutil.copytree(ROOT / "frontdesk", package,
                    ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    assert not list(package.rglob("*.mo"))
    return package


def test_a_copy_without_compiled_catalogs_serves_the_login_page_in_chinese(tmp_path):
    package = _copy_without_compiled_catalogs(tmp_path / "src")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src"),
           "FRONTDESK_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("FRONTDESK_SQLALCHEMY_DATABASE_URI", None)
    page = subprocess.run([sys.executable, "-c", LOGIN_PAGE], env=env, cwd=tmp_path,
                          capture_output=True, text=True, check=True).stdout
    assert "登录" in page
    assert (package / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.mo").exists()


UPGRADE = """
from flask_migrate import upgrade
from frontdesk import create_app
import sqlalchemy as sa
app = create_app({"SECRET_KEY": "x"})
with app.app_context():
    upgrade()
    from frontdesk.extensions import db
    print(sorted(sa.inspect(db.engine).get_table_names()))
"""


def test_a_copy_of_the_package_alone_migrates_a_new_database(tmp_path):
    _copy_without_compiled_catalogs(tmp_path / "src")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src"),
           "FRONTDESK_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("FRONTDESK_SQLALCHEMY_DATABASE_URI", None)
    tables = subprocess.run([sys.executable, "-c", UPGRADE], env=env, cwd=tmp_path,
                            capture_output=True, text=True, check=True).stdout
    assert "'receipt'" in tables and "'chain_entry'" in tables and "'alembic_version'" in tables


def test_a_read_only_package_compiles_into_the_instance_folder(tmp_path, monkeypatch):
    source = _copy_without_compiled_catalogs(tmp_path / "src") / "translations"
    compile_one = catalogs._compile

    def refuse_package_folder(po: Path, mo: Path) -> None:
        if mo.is_relative_to(source):
            raise PermissionError(13, "Read-only file system", str(mo))
        compile_one(po, mo)

    monkeypatch.setattr(catalogs, "_compile", refuse_package_folder)
    instance = tmp_path / "instance"
    folder = catalogs.compiled_directory(instance, source)
    assert folder == instance / "translations"
    assert (folder / "zh_CN" / "LC_MESSAGES" / "messages.mo").stat().st_size > 1000
    assert not list(source.rglob("*.mo"))


def test_a_stale_catalog_is_compiled_again(tmp_path):
    source = _copy_without_compiled_catalogs(tmp_path / "src") / "translations"
    assert catalogs.compiled_directory(tmp_path / "instance", source) == source
    mo = source / "zh_CN" / "LC_MESSAGES" / "messages.mo"
    po = mo.with_suffix(".po")
    old = po.stat().st_mtime - 60
    os.utime(mo, (old, old))
    catalogs.compiled_directory(tmp_path / "instance", source)
    assert mo.stat().st_mtime >= po.stat().st_mtime


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_package_ships_every_catalog_source(locale):
    assert (catalogs.PACKAGE_TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").exists()
