"""Default configuration; instance/config.py and FRONTDESK_* environment variables override it."""

from __future__ import annotations


class Defaults:
    """Settings used when nothing overrides them."""

    SECRET_KEY = "dev-only-change-me"
    #: filled in by create_app with the instance folder's SQLite file unless set
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ["zh_CN", "en"]
    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None
    #: where failed password checks are counted: None for the database (every worker shares
    #: it), or a store of the `limits` library such as "redis://127.0.0.1:6379"
    RATELIMIT_STORAGE_URI: str | None = None
    #: failed password checks allowed per account (logins and the manager's password on the
    #: key lend form together); the next one is refused until the window ends
    LOGIN_FAILURE_LIMIT = "5 per minute"
    #: failed password checks allowed per client address, whatever the account
    LOGIN_ADDRESS_FAILURE_LIMIT = "20 per minute"
    #: Redis for the job queue (and a natural home for RATELIMIT_STORAGE_URI too), such as
    #: "redis://127.0.0.1:6379/0"; None runs long jobs in the web process (the embedded default)
    REDIS_URL: str | None = None
    #: where long jobs run: "rq" (Redis, `flask worker`), "thread" (a background thread of the
    #: web process) or "inline" (at once, in the request: tests); None: "rq" with REDIS_URL,
    #: else "thread"
    JOBS_BACKEND: str | None = None
    #: the RQ queue of this installation's jobs
    JOBS_QUEUE = "frontdesk"
    #: a running RQ job not heard from for this long counts as interrupted (its worker died)
    JOB_HEARTBEAT_SECONDS = 30
    #: the longest an RQ job may run before its worker stops it
    JOB_TIMEOUT_SECONDS = 3 * 3600
    #: recent jobs listed on the jobs page
    JOBS_LISTED = 50
    #: reverse proxies in front that set X-Forwarded-For (1 behind one nginx); 0 trusts none
    PROXY_FIX_X_FOR = 0
    #: embedded CJK TrueType font for printed pages
    PDF_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    #: largest request accepted: an import file, or five photos of up to 5 MB sent together
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    #: where uploaded import files wait for confirmation; None means instance/imports
    IMPORT_FOLDER: str | None = None
    #: where photos (work orders, inspections) are kept, per estate; None means instance/uploads
    UPLOAD_FOLDER: str | None = None
    #: the largest photo accepted, in bytes
    PHOTO_MAX_BYTES = 5 * 1024 * 1024
    #: rows a single import file may hold
    IMPORT_MAX_ROWS = 20000
    SEARCH_RESULT_LIMIT = 50
    #: visitor records older than this many days are deleted by `flask purge-visitors`
    VISITOR_RETENTION_DAYS = 180
    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )
