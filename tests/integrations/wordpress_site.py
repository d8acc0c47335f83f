"""A real WordPress for the plugin's end-to-end tests: Debian's `wordpress` files served by
`php -S` on loopback, on a MariaDB started as a plain process on a temporary data directory.

Nothing outside the temporary directory is touched: the site is a tree of symlinks to
/usr/share/wordpress with its own `wp-config.php` (Debian's reads /etc/wordpress/config-<host>.php,
which we must not write) and its own `wp-content` (the plugin is a symlink to
integrations/wordpress/moderator). The entry points (the top-level and wp-admin/*.php files) are
copies, since PHP resolves symlinks in `__DIR__` and wp-load.php takes ABSPATH from its folder.
"""

from __future__ import annotations

import getpass
import html
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

WP_ROOT = Path("/usr/share/wordpress")
PLUGIN = Path(__file__).resolve().parents[2] / "integrations" / "wordpress" / "moderator"
ADMIN_PASSWORD = "wp-admin-password-123"
BINARIES = ("php", "mariadbd", "mariadb-install-db", "mariadb")

# Test-only site tweaks, the way a site owner would make them: no mail (no MTA here), no
# comment-flood check (every visitor is 127.0.0.1), retries due at once (the tests run
# wp-cron.php themselves instead of waiting out the one-minute backoff).
MU_PLUGIN = """<?php
add_filter( 'pre_wp_mail', '__return_false' );
add_filter( 'wp_is_comment_flood', '__return_false', 99 );
add_filter( 'moderator_retry_delay', '__return_zero' );
"""


def _which(name: str) -> str | None:
    """The program's path (mariadbd is in /usr/sbin, often not on a user's PATH)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")


def _bin(name: str) -> str:
    return _which(name) or name


def missing() -> str | None:
    """Why a WordPress cannot run here (None when it can)."""
    absent = [name for name in BINARIES if _which(name) is None]
    if not (WP_ROOT / "wp-settings.php").exists():
        absent.append("wordpress (/usr/share/wordpress)")
    if absent:
        return "missing " + ", ".join(absent)
    modules = subprocess.run(
        [_bin("php"), "-m"], capture_output=True, text=True, check=False, timeout=30
    ).stdout.lower()
    if "mysqli" not in modules:
        return "missing PHP's mysqli extension (php-mysql)"
    return None


class MariaDB:
    """mariadbd on a fresh data directory, reachable only through its socket."""

    def __init__(self, base: Path) -> None:
        self.datadir, self.socket = base / "data", base / "mysqld.sock"
        self.log = base / "mariadbd.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.user = getpass.getuser()

    def start(self) -> MariaDB:
        self.datadir.mkdir(parents=True)
        subprocess.run(
            [
                _bin("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--user={self.user}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.process = subprocess.Popen(
            [
                _bin("mariadbd"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--socket={self.socket}",
                f"--user={self.user}",
                "--skip-networking",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=32M",
                f"--log-error={self.log}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            done = subprocess.run(self._client("SELECT 1"), capture_output=True, check=False)
            if done.returncode == 0:
                return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mariadbd did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def _client(self, sql: str, database: str | None = None) -> list[str]:
        command = [_bin("mariadb"), "--no-defaults", f"--socket={self.socket}"]
        return [
            *command,
            "-uroot",
            "--batch",
            "--skip-column-names",
            *([database] * bool(database)),
            "-e",
            sql,
        ]

    def query(self, sql: str, database: str = "wordpress") -> list[list[str]]:
        out = subprocess.run(
            self._client(sql, database), capture_output=True, text=True, check=True, timeout=30
        ).stdout
        return [line.split("\t") for line in out.splitlines()]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@dataclass
class WordPress:
    """The site, its database and a logged-in admin session."""

    base: Path
    port: int
    db: MariaDB
    config: str = ""  # more PHP for wp-config.php
    url: str = ""
    server: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None
    admin: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def start(self) -> WordPress:
        self.url = f"http://127.0.0.1:{self.port}"
        root = self.base / "site"
        self._tree(root)
        self.db.query("CREATE DATABASE wordpress CHARACTER SET utf8mb4", database="")
        self.php(
            "require ABSPATH . 'wp-admin/includes/upgrade.php';"
            "wp_install('Moderated blog', 'admin', 'admin@example.org', true, '',"
            f" '{ADMIN_PASSWORD}');"
            f"update_option('siteurl', '{self.url}'); update_option('home', '{self.url}');",
            installing=True,
        )
        env = {**os.environ, "PHP_CLI_SERVER_WORKERS": "4"}
        self._log = open(self.base / "php-server.log", "wb")  # noqa: SIM115 (closed in stop)
        self.server = subprocess.Popen(
            [_bin("php"), "-S", f"127.0.0.1:{self.port}", "-t", str(root)],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env=env,
            cwd=root,
            start_new_session=True,  # its workers are stopped with it, as one process group
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.url + "/wp-login.php", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("php -S did not start: " + self.server_log())
            time.sleep(0.1)
        self._login()
        return self

    def _tree(self, root: Path) -> None:
        content = root / "wp-content"
        for sub in ("plugins", "themes", "mu-plugins", "uploads"):
            (content / sub).mkdir(parents=True)
        # Entry points are copies (PHP resolves symlinks in __DIR__, and wp-load.php takes
        # ABSPATH from its own folder): so every one of them finds our wp-config.php.
        for entry in WP_ROOT.iterdir():
            if entry.name in ("wp-config.php", "wp-content", ".htaccess", "wp-admin"):
                continue
            if entry.suffix == ".php":
                shutil.copy(entry, root / entry.name)
            else:
                (root / entry.name).symlink_to(entry)
        (root / "wp-admin").mkdir()
        for entry in (WP_ROOT / "wp-admin").iterdir():
            if entry.is_file() and entry.suffix == ".php":
                shutil.copy(entry, root / "wp-admin" / entry.name)
            else:
                (root / "wp-admin" / entry.name).symlink_to(entry)
        for theme in (WP_ROOT / "wp-content" / "themes").iterdir():
            (content / "themes" / theme.name).symlink_to(theme)
        (content / "plugins" / "moderator").symlink_to(PLUGIN)
        (content / "mu-plugins" / "moderator-tests.php").write_text(MU_PLUGIN)
        salts = "".join(
            f"define('{k}', '{os.urandom(24).hex()}');\n"
            for k in (
                "AUTH_KEY",
                "SECURE_AUTH_KEY",
                "LOGGED_IN_KEY",
                "NONCE_KEY",
                "AUTH_SALT",
                "SECURE_AUTH_SALT",
                "LOGGED_IN_SALT",
                "NONCE_SALT",
            )
        )
        (root / "wp-config.php").write_text(
            "<?php\n"
            "define('DB_NAME', 'wordpress'); define('DB_USER', 'root');\n"
            "define('DB_PASSWORD', '');\n"
            f"define('DB_HOST', 'localhost:{self.db.socket}');\n"
            "define('DB_CHARSET', 'utf8mb4'); define('DB_COLLATE', '');\n"
            f"{salts}"
            f"define('WP_CONTENT_DIR', '{content}');\n"
            "define('DISABLE_WP_CRON', true);\n"  # the tests run wp-cron.php themselves
            f"{self.config}\n"
            "define('WP_DEBUG', true); define('WP_DEBUG_DISPLAY', false);\n"
            f"define('WP_DEBUG_LOG', '{self.base / 'debug.log'}');\n"
            "$table_prefix = 'wp_';\n"
            "require_once ABSPATH . 'wp-settings.php';\n"
        )

    def php(self, code: str, *, installing: bool = False) -> str:
        script = self.base / "cli.php"
        script.write_text(
            "<?php\n"
            + ("define('WP_INSTALLING', true);\n" if installing else "")
            + f"$_SERVER['HTTP_HOST'] = '127.0.0.1:{self.port}';\n"
            f"require '{self.base / 'site' / 'wp-load.php'}';\n" + code + "\n"
        )
        done = subprocess.run(
            [_bin("php"), str(script)], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"php failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
        return done.stdout

    def _login(self) -> None:
        self.admin.get(self.url + "/wp-login.php")  # sets WordPress's test cookie
        r = self.admin.post(
            self.url + "/wp-login.php",
            data={
                "log": "admin",
                "pwd": ADMIN_PASSWORD,
                "testcookie": "1",
                "rememberme": "forever",
            },
        )
        assert r.status_code == 302, r.text[-2000:]

    # wp-admin, as a person would use it

    def activate_plugin(self) -> None:
        page = self.admin.get(self.url + "/wp-admin/plugins.php").text
        link = re.search(
            r'href="(plugins\.php\?action=activate&amp;plugin=moderator%2Fmoderator\.php[^"]*)"',
            page,
        )
        assert link, "no activation link for the moderator plugin"
        r = self.admin.get(self.url + "/wp-admin/" + html.unescape(link.group(1)))
        assert r.status_code == 302 and "activate=true" in r.headers["location"], r.text[-2000:]

    def settings_page(self) -> str:
        r = self.admin.get(self.url + "/wp-admin/options-general.php?page=moderator")
        assert r.status_code == 200
        return r.text

    def callback_url(self) -> str:
        found = re.search(r'<code id="moderator-callback-url">([^<]+)</code>', self.settings_page())
        assert found, "the settings page shows no callback URL"
        return html.unescape(found.group(1))

    def save_settings(self, **values: str) -> httpx.Response:
        page = self.settings_page()
        nonce = re.search(r'name="_wpnonce" value="([0-9a-f]+)"', page)
        assert nonce
        data = {
            "option_page": "moderator",
            "action": "update",
            "_wpnonce": nonce.group(1),
            "_wp_http_referer": "/wp-admin/options-general.php?page=moderator",
        }
        data.update({f"moderator_settings[{k}]": v for k, v in values.items()})
        return self.admin.post(self.url + "/wp-admin/options.php", data=data)

    def moderate(self, comment_id: int, action: str) -> None:
        """Click approve/spam/trash in Comments, as in wp-admin without JavaScript."""
        page = self.admin.get(self.url + "/wp-admin/edit-comments.php?comment_status=all").text
        link = re.search(
            rf'href="(comment\.php\?c={comment_id}&(?:#038|amp);action={action}comment'
            r'&(?:#038|amp);_wpnonce=[0-9a-f]+)"',
            page,
        )
        assert link, f"no {action} link for comment {comment_id}"
        r = self.admin.get(self.url + "/wp-admin/" + html.unescape(link.group(1)))
        assert r.status_code == 302, r.text[-2000:]

    def rest_nonce(self) -> str:
        r = self.admin.get(self.url + "/wp-admin/admin-ajax.php", params={"action": "rest-nonce"})
        assert r.status_code == 200 and re.fullmatch(r"[0-9a-f]+", r.text), r.text
        return r.text

    def rest(self, method: str, route: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-WP-Nonce": self.rest_nonce()}
        return self.admin.request(
            method, self.url + "/", params={"rest_route": route}, headers=headers, **kwargs
        )

    # a visitor

    def comment(self, text: str, *, author: str = "Visitor", parent: int = 0) -> int:
        """Post through wp-comments-post.php, as the comment form does; the new comment's id."""
        r = httpx.post(
            self.url + "/wp-comments-post.php",
            data={
                "comment": text,
                "author": author,
                "email": f"{author.lower()}@example.org",
                "url": "",
                "comment_post_ID": "1",
                "comment_parent": str(parent),
            },
            timeout=30,
        )
        assert r.status_code == 302, r.text[-2000:]
        found = re.search(r"#comment-(\d+)", r.headers["location"])
        assert found, r.headers["location"]
        return int(found.group(1))

    def cron(self) -> None:
        """Run WP-Cron as a system cron job does (GET wp-cron.php, which takes its own lock)."""
        r = httpx.get(self.url + "/wp-cron.php", timeout=60)
        assert r.status_code == 200, r.text

    # the database

    def status(self, comment_id: int) -> str:
        rows = self.db.query(
            f"SELECT comment_approved FROM wp_comments WHERE comment_ID={int(comment_id)}"
        )
        return rows[0][0] if rows else "deleted"

    def meta(self, comment_id: int) -> dict[str, str]:
        rows = self.db.query(
            f"SELECT meta_key, meta_value FROM wp_commentmeta WHERE comment_id={int(comment_id)}"
            " AND meta_key LIKE '\\_moderator%'"
        )
        return {row[0]: row[1] for row in rows}

    def server_log(self) -> str:
        path = self.base / "php-server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def plugin_errors(self) -> list[str]:
        """PHP errors, warnings and notices raised in the plugin's files."""
        path = self.base / "debug.log"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        return [line for line in lines if str(PLUGIN) in line and "PHP " in line]

    def stop(self) -> None:
        self.admin.close()
        if self.server is not None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait(10)
            self._log.close()
